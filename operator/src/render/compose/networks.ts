// Compose networks that enforce `isolation: links`: a greedy clique cover of the undirected edge graph (pure).
//
// Compose has no NetworkPolicy. Two containers can talk exactly when they share a network, so the networks
// must be cliques of the edge graph (no two unconnected nodes share one) that together cover every edge.
// A greedy cover is not minimal, but it is deterministic and keeps meshes to one network and stars to one
// network per spoke.
import { peersOf, type Topology } from "../../api/topology.ts";

export interface NetworkPlan {
  /** Network name -> member node names, in node declaration order. */
  networks: Map<string, string[]>;
  /** Node name -> the networks it joins, in network order. */
  byNode: Map<string, string[]>;
}

/**
 * The undirected edges (connectsTo and dependsOn) as adjacency sets of node indexes. Depending on a task is
 * an order, not a link (nothing connects to a task), as in the Kubernetes NetworkPolicies.
 */
export function undirectedEdges(topology: Topology): Set<number>[] {
  const index = new Map(topology.nodes.map((n, i) => [n.name, i]));
  const adjacent = topology.nodes.map(() => new Set<number>());
  topology.nodes.forEach((n, i) => {
    for (const peer of peersOf(n)) {
      const j = index.get(peer);
      if (j === undefined || j === i || topology.nodes[j]!.task) continue;
      adjacent[i]!.add(j);
      adjacent[j]!.add(i);
    }
  });
  return adjacent;
}

/**
 * Cliques (lists of node indexes, ascending) covering every edge; a node without edges gets a clique of its
 * own. Greedy: take the first uncovered edge (u, v) in index order and grow it with every node, in index
 * order, that is adjacent to all members so far; the result depends only on the input.
 */
export function cliqueCover(adjacent: readonly ReadonlySet<number>[]): number[][] {
  const cliques: number[][] = [];
  const covered = adjacent.map(() => new Set<number>());
  for (let u = 0; u < adjacent.length; u++) {
    if (adjacent[u]!.size === 0) {
      cliques.push([u]);
      continue;
    }
    for (const v of [...adjacent[u]!].sort((a, b) => a - b)) {
      if (v < u || covered[u]!.has(v)) continue;
      const members = [u, v];
      for (let w = 0; w < adjacent.length; w++) {
        if (w === u || w === v) continue;
        if (members.every((m) => adjacent[m]!.has(w))) members.push(w);
      }
      members.sort((a, b) => a - b);
      for (const a of members) for (const b of members) if (a !== b) covered[a]!.add(b);
      cliques.push(members);
    }
  }
  return cliques;
}

/** The networks of a topology: one `default` network with isolation none, else n0, n1... from the cover. */
export function planNetworks(topology: Topology): NetworkPlan {
  const names = topology.nodes.map((n) => n.name);
  const groups =
    topology.isolation === "none"
      ? [{ name: "default", members: names }]
      : cliqueCover(undirectedEdges(topology)).map((c, i) => ({
          name: `n${i}`,
          members: c.map((m) => names[m]!),
        }));
  const networks = new Map(groups.map((g) => [g.name, g.members]));
  const byNode = new Map(names.map((n) => [n, [] as string[]]));
  for (const g of groups) for (const m of g.members) byNode.get(m)!.push(g.name);
  return { networks, byNode };
}
