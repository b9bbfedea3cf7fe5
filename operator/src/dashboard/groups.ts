// Large groups drawn as one shape until opened: a generator's nodes, or hand-written nodes that all connect
// to each other (a mesh written out), once there are GROUP_MIN of them. The group shows its shape, its
// count, its health (how many in each phase) and the edges into and out of it; a member that is not Ready
// is always drawn on its own beside it, so a collapsed group never hides trouble. Pure: no DOM.
import type { GraphEdge, GraphNode, TopologyDetail } from "../../types.ts";

/** Groups of at least this many nodes start collapsed (the largest generator in the examples has 5). */
export const GROUP_MIN = 25;

export interface Group {
  /** `group:<generator>`, or `group:<first member>` for a written-out mesh. */
  id: string;
  name: string;
  shape: string;
  members: string[];
  /** Members by phase: the health summary. */
  phases: Record<string, number>;
}

export interface Collapsed {
  /** The nodes drawn one by one: outside every collapsed group, or members that are not Ready. */
  nodes: GraphNode[];
  /** The collapsed groups, drawn as one shape each. */
  groups: Group[];
  /** Edges between what is drawn; an edge into a collapsed group ends at the group, once per kind. */
  edges: GraphEdge[];
}

/** A member a collapsed group may hide: it is Ready, or a task that succeeded. */
const healthy = (n: GraphNode) => n.phase === "Ready" || n.phase === "Succeeded";

/** Every group large enough to collapse: generators, then hand-written full meshes. */
export function findGroups(d: TopologyDetail, min = GROUP_MIN): Group[] {
  const sets = new Map<string, { name: string; shape: string; members: string[] }>();
  for (const n of d.nodes)
    if (n.generator) {
      const g = sets.get(`group:${n.generator}`) ?? { name: n.generator, shape: n.shape ?? "", members: [] };
      g.members.push(n.name);
      sets.set(`group:${n.generator}`, g);
    }
  // Hand-written nodes that connect to exactly the same others, each other included: a clique.
  const cliques = new Map<string, string[]>();
  for (const n of d.nodes) {
    if (n.generator || n.connectsTo.length + 1 < min) continue;
    const key = [...new Set([...n.connectsTo, n.name])].sort().join("\u0000");
    cliques.set(key, [...(cliques.get(key) ?? []), n.name]);
  }
  for (const [key, members] of cliques)
    if (members.length === key.split("\u0000").length)
      sets.set(`group:${members[0]}`, { name: `${members[0]}…`, shape: "mesh", members });
  const byName = new Map(d.nodes.map((n) => [n.name, n]));
  return [...sets]
    .filter(([, g]) => g.members.length >= min)
    .map(([id, g]) => ({
      id,
      ...g,
      phases: g.members.reduce<Record<string, number>>((acc, m) => {
        const phase = byName.get(m)!.phase;
        acc[phase] = (acc[phase] ?? 0) + 1;
        return acc;
      }, {}),
    }));
}

/** The graph with every group not in `expanded` (by id) drawn as one shape. */
export function collapse(d: TopologyDetail, expanded: ReadonlySet<string>, min = GROUP_MIN): Collapsed {
  const groups = findGroups(d, min).filter((g) => !expanded.has(g.id));
  const drawnAs = new Map<string, string>();
  const byName = new Map(d.nodes.map((n) => [n.name, n]));
  for (const g of groups) for (const m of g.members) if (healthy(byName.get(m)!)) drawnAs.set(m, g.id);
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const e of d.edges) {
    const from = drawnAs.get(e.from) ?? e.from;
    const to = drawnAs.get(e.to) ?? e.to;
    if (from === to) continue; // inside a collapsed group
    const key = `${from}\u0000${to}\u0000${e.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push(from === e.from && to === e.to ? e : { from, to, kind: e.kind });
  }
  return { nodes: d.nodes.filter((n) => !drawnAs.has(n.name)), groups, edges };
}

/** "100 nodes: 98 Ready, 2 Progressing" */
export function healthSummary(g: Group): string {
  const phases = Object.entries(g.phases).sort((a, b) => b[1] - a[1]);
  return `${g.members.length} nodes: ${phases.map(([p, c]) => `${c} ${p}`).join(", ")}`;
}
