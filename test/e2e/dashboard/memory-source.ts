// Topologies of any size without pods or containers: parsed and expanded by the real model, with a status
// that says every node is Ready (every 25th Progressing), served through the one DashboardSource interface.
// Used by the 250-node e2e test and by bench/dashboard.ts.
import { parseTopology } from "../../../operator/src/api/parse.ts";
import {
  fromResolved,
  toDetail,
  toSummary,
  type ObservedTopology,
} from "../../../operator/src/dashboard/model.ts";
import type { DashboardSource } from "../../../operator/src/dashboard/source.ts";

export const MEMORY_NAMESPACE = "bench";

function observe(name: string, spec: Record<string, unknown>): ObservedTopology {
  const parsed = parseTopology({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name, namespace: MEMORY_NAMESPACE },
    spec,
  });
  if (!parsed.ok) throw new Error(`${name}: ${JSON.stringify(parsed.issues)}`);
  const nodes = parsed.topology.nodes;
  const progressing = (i: number) => i % 25 === 0;
  return {
    namespace: MEMORY_NAMESPACE,
    name,
    source: "kube",
    declared: nodes.map(fromResolved),
    status: {
      phase: "Progressing",
      revision: 1,
      nodes: nodes.map((n, i) => ({
        name: n.name,
        replicas: 1,
        readyReplicas: progressing(i) ? 0 : 1,
        phase: progressing(i) ? "Progressing" : "Ready",
      })),
      history: [{ revision: 1, outcome: "Progressing", at: new Date().toISOString() }],
    },
  };
}

const template = { image: "connector:1", ports: [{ name: "http", port: 8080 }] };

/** One generator of `count` nodes (at most 100) in `shape`. */
export function generatedTopology(
  name: string,
  shape: "linear" | "ring" | "star" | "mesh",
  count: number,
): ObservedTopology {
  return observe(name, { nodes: [], generators: [{ prefix: "conn", count, shape, template }] });
}

/**
 * A full mesh of `count` nodes. A generator stops at 100 nodes, so the largest mesh the API accepts
 * (250 nodes, 62,250 connectsTo edges) is written out node by node, as a user would have to.
 */
export function explicitMesh(name: string, count: number): ObservedTopology {
  const names = Array.from({ length: count }, (_, i) => `conn-${i}`);
  return observe(name, {
    nodes: names.map((n) => ({ name: n, ...template, connectsTo: names.filter((x) => x !== n) })),
  });
}

/** A source that never changes. Each detail is built once, as the Kubernetes source builds one per
 * cached object. */
export function memorySource(topologies: ObservedTopology[]): DashboardSource {
  const details = new Map<ObservedTopology, ReturnType<typeof toDetail>>();
  return {
    list: async () => topologies.map(toSummary),
    get: async (ns, name) => {
      const t = topologies.find((x) => x.namespace === ns && x.name === name);
      if (!t) return undefined;
      if (!details.has(t)) details.set(t, toDetail(t));
      return details.get(t);
    },
    events: async () => [],
    subscribe: () => () => undefined,
  };
}
