// Large groups drawn as one shape until opened: a generator's nodes, or hand-written nodes that all connect
// to each other (a mesh written out), once there are GROUP_MIN of them. The group shows its shape, its
// count, its health (how many in each phase) and the edges into and out of it; a member that is not Ready
// is always drawn on its own beside it, so a collapsed group never hides trouble. The server sends the
// detail grouped (groupedDetail: `?view=grouped`), so a 250-node mesh crosses the wire as 11 shapes and
// 110 edges, not 62,250; the page draws what it is sent. Pure: no DOM, no I/O.
import type { GraphEdge, GraphGroup, GraphMesh, GraphNode, TopologyDetail } from "./types.ts";

/** Groups of at least this many nodes start collapsed (the largest generator in the examples has 5). */
export const GROUP_MIN = 25;

/**
 * An opened full mesh with more edges than this is drawn as its nodes on one shape that stands for its
 * edges, not as the lines (n(n-1) of them: a solid disc); a selected member's own lines are drawn.
 */
export const MESH_EDGES = 2000;

export interface Collapsed {
  /** The nodes drawn one by one: outside every collapsed group, or members that are not Ready. */
  nodes: GraphNode[];
  /** The collapsed groups, drawn as one shape each. */
  groups: GraphGroup[];
  /** Edges between what is drawn; an edge into a collapsed group ends at the group, once per kind. */
  edges: GraphEdge[];
}

/** A member a collapsed group may hide: it is Ready, or a task that succeeded. */
const healthy = (n: GraphNode) => n.phase === "Ready" || n.phase === "Succeeded";

/** Every group large enough to collapse: generators, then hand-written full meshes. */
export function findGroups(d: TopologyDetail, min = GROUP_MIN): GraphGroup[] {
  const sets = new Map<string, { name: string; shape: string; members: string[] }>();
  for (const n of d.nodes)
    if (n.generator) {
      const g = sets.get(`group:${n.generator}`) ?? { name: n.generator, shape: n.shape ?? "", members: [] };
      g.members.push(n.name);
      sets.set(`group:${n.generator}`, g);
    }
  // Hand-written nodes that connect to exactly the same others, each other included: a clique. A node's
  // neighbourhood (itself and what it connects to) is a clique when each node in it has that same
  // neighbourhood; each clique is checked once, from its first member (no sorting of 250 lists of 249).
  const byName = new Map(d.nodes.map((n) => [n.name, n]));
  const closed = (n: GraphNode) => new Set([...n.connectsTo, n.name]);
  const seen = new Set<string>();
  for (const n of d.nodes) {
    if (n.generator || n.connectsTo.length + 1 < min || seen.has(n.name)) continue;
    const hood = closed(n);
    const members = d.nodes.filter((m) => hood.has(m.name));
    const clique =
      members.length === hood.size &&
      members.every((m) => {
        if (m.generator) return false;
        const theirs = m === n ? hood : closed(m);
        return theirs.size === hood.size && [...theirs].every((x) => hood.has(x));
      });
    if (!clique) continue;
    for (const m of members) seen.add(m.name);
    sets.set(`group:${members[0]!.name}`, {
      name: `${members[0]!.name}…`,
      shape: "mesh",
      members: members.map((m) => m.name),
    });
  }
  return [...sets]
    .filter(([, g]) => g.members.length >= min)
    .map(([id, g]) => {
      const members = g.members.map((m) => byName.get(m)!);
      return {
        id,
        ...g,
        phases: members.reduce<Record<string, number>>((acc, m) => {
          acc[m.phase] = (acc[m.phase] ?? 0) + 1;
          return acc;
        }, {}),
        alone: members.filter((m) => !healthy(m)).map((m) => m.name),
      };
    });
}

/** The graph with every group not in `expanded` (by id) drawn as one shape. */
export function collapse(
  d: TopologyDetail,
  expanded: ReadonlySet<string>,
  min = GROUP_MIN,
  found = findGroups(d, min),
): Collapsed {
  const groups = found.filter((g) => !expanded.has(g.id));
  const drawnAs = new Map<string, string>();
  for (const g of groups) {
    const alone = new Set(g.alone);
    for (const m of g.members) if (!alone.has(m)) drawnAs.set(m, g.id);
  }
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

/**
 * The detail as the page draws it (`GET .../:name?view=grouped&open=<group id>,...`): every group not
 * in `open` in `groups`; an opened full mesh of more than MESH_EDGES edges in `meshes`, without its
 * edges; the edges between what is drawn (an edge into a collapsed group ends at its id); `edgeCount`
 * the declared edges; each member's `connectsTo` without the other members of its collapsed group or
 * mesh (`connectsWithin` counts them). `nodes` keeps every node, for the node list.
 */
export function groupedDetail(d: TopologyDetail, open: ReadonlySet<string>, min = GROUP_MIN): TopologyDetail {
  const found = findGroups(d, min);
  const meshes: GraphMesh[] = found
    .filter(
      (g) => open.has(g.id) && g.shape === "mesh" && g.members.length * (g.members.length - 1) > MESH_EDGES,
    )
    .map((g) => ({ id: g.id, name: g.name, members: g.members, edges: 0 }));
  const meshOf = new Map(meshes.flatMap((m) => m.members.map((n) => [n, m] as const)));
  const view = collapse(d, open, min, found);
  const edges = view.edges.filter((e) => {
    const m = meshOf.get(e.from);
    if (!m || meshOf.get(e.to) !== m) return true;
    m.edges++;
    return false;
  });
  const groupOf = new Map(
    [...view.groups, ...meshes].flatMap((g) => g.members.map((m) => [m, g.id] as const)),
  );
  const nodes = d.nodes.map((n) => {
    const g = groupOf.get(n.name);
    if (!g) return n;
    const outside = n.connectsTo.filter((m) => groupOf.get(m) !== g);
    const within = n.connectsTo.length - outside.length;
    return within ? { ...n, connectsTo: outside, connectsWithin: within } : n;
  });
  return {
    ...d,
    nodes,
    edges,
    groups: view.groups,
    ...(meshes.length ? { meshes } : {}),
    edgeCount: d.edges.length,
  };
}

/** "100 nodes: 98 Ready, 2 Progressing" */
export function healthSummary(g: GraphGroup): string {
  const phases = Object.entries(g.phases).sort((a, b) => b[1] - a[1]);
  return `${g.members.length} nodes: ${phases.map(([p, c]) => `${c} ${p}`).join(", ")}`;
}
