// The expanded graph of a topology: its edges and its start order in dependency layers (pure).
import type { ResolvedNode, Topology } from "../api/topology.ts";

export type EdgeKind = "connectsTo" | "dependsOn";

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface Graph {
  topology: string;
  nodes: {
    name: string;
    image: string;
    replicas: number;
    layer: number;
    generator?: string;
    /** A task: it runs to completion once per revision that changes it (its dependents wait for it). */
    task?: boolean;
  }[];
  edges: Edge[];
  /** Start order: layer 0 depends on nothing, layer k only on layers before it. */
  layers: string[][];
}

/** One edge per (from, to): dependsOn wins over connectsTo, since it implies it. */
export function resolveEdges(nodes: readonly ResolvedNode[]): Edge[] {
  const edges: Edge[] = [];
  for (const node of nodes) {
    for (const to of node.dependsOn) edges.push({ from: node.name, to, kind: "dependsOn" });
    for (const to of node.connectsTo)
      if (!node.dependsOn.includes(to)) edges.push({ from: node.name, to, kind: "connectsTo" });
  }
  return edges;
}

/** Kahn's layering over dependsOn. The model rejects cycles, so every node gets a layer. */
export function orderLayers(nodes: readonly ResolvedNode[]): string[][] {
  const layerOf = new Map<string, number>();
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const depth = (name: string, seen: Set<string>): number => {
    const known = layerOf.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) throw new Error(`dependsOn cycle through ${name}`);
    seen.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const layer = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => depth(d, seen)));
    seen.delete(name);
    layerOf.set(name, layer);
    return layer;
  };
  const layers: string[][] = [];
  for (const n of nodes) {
    const l = depth(n.name, new Set());
    (layers[l] ??= []).push(n.name);
  }
  return layers;
}

export function buildGraph(topology: Topology): Graph {
  const layers = orderLayers(topology.nodes);
  const layerOf = new Map(layers.flatMap((names, i) => names.map((n) => [n, i] as const)));
  return {
    topology: topology.name,
    nodes: topology.nodes.map((n) => ({
      name: n.name,
      image: n.image,
      replicas: n.replicas,
      layer: layerOf.get(n.name) ?? 0,
      ...(n.origin.generator ? { generator: n.origin.generator.prefix } : {}),
      ...(n.task ? { task: true } : {}),
    })),
    edges: resolveEdges(topology.nodes),
    layers,
  };
}
