// Pure conversions from what a source knows (declared nodes + observed status) to the dashboard's API
// shapes. Both sources go through here, so the graph, the phases and the secret filtering never drift.
import type { HistoryEntry, NodeStatus } from "../api/schema.ts";
import type { ResolvedNode } from "../api/topology.ts";
import { orderLayers, resolveEdges } from "../graph/graph.ts";
import type { GraphNode, NodeEnv, NodePhase, TopologyDetail, TopologySummary } from "./types.ts";

/** What a source declares about one node: a resolved Kubernetes node or a Compose `x-topo` node. */
export type DeclaredNode = Pick<
  ResolvedNode,
  "name" | "image" | "replicas" | "ports" | "env" | "connectsTo" | "dependsOn"
> & { generator?: string; shape?: GraphNode["shape"]; task?: GraphNode["task"] };

export interface ObservedTopology {
  namespace: string;
  name: string;
  source: TopologySummary["source"];
  declared: DeclaredNode[];
  status: {
    phase?: string;
    revision?: number;
    lastGoodRevision?: number;
    message?: string;
    nodes?: Pick<
      NodeStatus,
      "name" | "replicas" | "readyReplicas" | "phase" | "message" | "image" | "spreadOver"
    >[];
    history?: (Pick<HistoryEntry, "revision" | "at" | "reason"> & {
      outcome: string;
      images?: Record<string, string>;
    })[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
  issues?: string[];
}

/** Env as the dashboard may show it: literal values, and for a secretRef the Secret's name only. */
export function redactEnv(
  env: readonly { name: string; value?: string; secretRef?: { name: string } }[],
): NodeEnv[] {
  return env.map((e) =>
    e.secretRef ? { name: e.name, secretRef: e.secretRef.name } : { name: e.name, value: e.value ?? "" },
  );
}

export function fromResolved(node: ResolvedNode): DeclaredNode {
  const gen = node.origin.generator;
  return {
    name: node.name,
    image: node.image,
    replicas: node.replicas,
    ports: node.ports,
    env: node.env,
    connectsTo: node.connectsTo,
    dependsOn: node.dependsOn,
    ...(gen ? { generator: gen.prefix, shape: gen.shape } : {}),
    ...(node.task ? { task: node.task } : {}),
  };
}

/**
 * Phases of a node that serves: a RolledBack node is Ready again on the last good revision, and a task that
 * succeeded has done its part.
 */
const SERVING = new Set(["Ready", "RolledBack", "Succeeded"]);

function lastRollback(t: ObservedTopology): TopologySummary["lastRollback"] {
  const h = [...(t.status.history ?? [])].reverse().find((e) => e.outcome === "RolledBack");
  return h ? { revision: h.revision, at: h.at, ...(h.reason ? { reason: h.reason } : {}) } : undefined;
}

export function toSummary(t: ObservedTopology): TopologySummary {
  const observed = t.status.nodes ?? [];
  const total = t.declared.length || observed.length;
  const rollback = lastRollback(t);
  const s = t.status;
  return {
    namespace: t.namespace,
    name: t.name,
    source: t.source,
    phase: s.phase ?? (t.issues?.length ? "Invalid" : "Pending"),
    readyNodes: observed.filter((n) => SERVING.has(n.phase)).length,
    totalNodes: total,
    ...(s.revision !== undefined ? { revision: s.revision } : {}),
    ...(s.lastGoodRevision !== undefined ? { lastGoodRevision: s.lastGoodRevision } : {}),
    ...(rollback ? { lastRollback: rollback } : {}),
    ...(s.message ? { message: s.message } : {}),
  };
}

export function toDetail(t: ObservedTopology): TopologyDetail {
  const observed = new Map((t.status.nodes ?? []).map((n) => [n.name, n]));
  // Nodes the status knows but the spec does not (an invalid spec): still drawn, without edges.
  const declared: DeclaredNode[] = t.declared.length
    ? t.declared
    : [...observed.values()].map((n) => ({
        name: n.name,
        image: n.image ?? "",
        replicas: n.replicas,
        ports: [],
        env: [],
        connectsTo: [],
        dependsOn: [],
      }));
  const names = new Set(declared.map((n) => n.name));
  // resolveEdges and orderLayers read only name, connectsTo and dependsOn.
  const asResolved = declared.map((n) => ({
    ...n,
    dependsOn: n.dependsOn.filter((d) => names.has(d)),
    connectsTo: n.connectsTo.filter((d) => names.has(d)),
  })) as unknown as ResolvedNode[];
  let layers: string[][];
  try {
    layers = orderLayers(asResolved);
  } catch {
    layers = [declared.map((n) => n.name)];
  }
  const layerOf = new Map(layers.flatMap((ns, i) => ns.map((n) => [n, i] as const)));
  const nodes: GraphNode[] = declared.map((n) => {
    const o = observed.get(n.name);
    return {
      name: n.name,
      image: o?.image ?? n.image,
      replicas: o?.replicas ?? n.replicas,
      readyReplicas: o?.readyReplicas ?? 0,
      phase: (o?.phase ?? "Pending") as NodePhase,
      ...(o?.message ? { message: o.message } : {}),
      ...(o?.spreadOver ? { spreadOver: o.spreadOver } : {}),
      ports: n.ports.map((p) => ({
        name: p.name,
        port: p.port,
        protocol: p.protocol ?? "TCP",
        ...(p.hostPort ? { hostPort: p.hostPort } : {}),
      })),
      env: redactEnv(n.env),
      layer: layerOf.get(n.name) ?? 0,
      ...(n.generator ? { generator: n.generator } : {}),
      ...(n.shape ? { shape: n.shape } : {}),
      connectsTo: n.connectsTo,
      dependsOn: n.dependsOn,
      ...(n.task ? { task: n.task } : {}),
    };
  });
  return {
    ...toSummary(t),
    nodes,
    edges: resolveEdges(asResolved),
    layers,
    history: (t.status.history ?? []).map((h) => ({
      revision: h.revision,
      outcome: h.outcome,
      at: h.at,
      ...(h.reason ? { reason: h.reason } : {}),
      ...(h.images ? { images: h.images } : {}),
    })),
    conditions: (t.status.conditions ?? []).map(({ type, status, reason, message }) => ({
      type,
      status,
      reason,
      message,
    })),
    ...(t.issues?.length ? { issues: t.issues } : {}),
  };
}

/** The node an event is about: the longest node name whose objects (`<topology>-<node>[-...]`) it names. */
export function nodeOfObject(
  topology: string,
  objectName: string,
  nodes: readonly string[],
): string | undefined {
  let best: string | undefined;
  for (const n of nodes) {
    const base = `${topology}-${n}`;
    if ((objectName === base || objectName.startsWith(`${base}-`)) && n.length > (best?.length ?? -1))
      best = n;
  }
  return best;
}

/** The node a Topology-level event message names ("revision 2 failed on node api"). */
export function nodeOfMessage(message: string, nodes: readonly string[]): string | undefined {
  const m = /\bnode ([a-z0-9]([-a-z0-9]*[a-z0-9])?)/.exec(message);
  return m && nodes.includes(m[1]!) ? m[1] : undefined;
}
