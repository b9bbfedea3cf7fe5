// renderSpread: a node's topologySpreadConstraints from its placement, so replicas and groups survive a node (pure).
import { LABEL_GROUP, LABEL_GROUP_REVISION, LABEL_TOPOLOGY } from "../../api/constants.ts";
import type { ResolvedNode, Topology } from "../../api/topology.ts";
import { selectorLabels } from "./labels.ts";

export const TOPOLOGY_KEY = {
  nodes: "kubernetes.io/hostname",
  zones: "topology.kubernetes.io/zone",
} as const;

/**
 * The group a generated node spreads with: its generator's prefix, when the generator makes more than one
 * node. Explicit nodes and tasks are in no group.
 */
export function spreadGroup(topology: Topology, node: ResolvedNode): string | undefined {
  const gen = node.origin.generator;
  if (!gen || node.task || node.placement.spread === "none") return undefined;
  const count = topology.spec.generators?.[gen.index]?.count ?? 0;
  return count > 1 ? gen.prefix : undefined;
}

/**
 * The constraint of a node's pods. A node spreads its own replicas, counting only the pods of the same
 * template (matchLabelKeys: pod-template-hash), so a rolling update is judged on the new ReplicaSet alone
 * and keeps the skew (kubernetes #98215). A generated group's nodes spread their pods together instead, so
 * a mesh of single-replica nodes spreads too: the API server takes one constraint per topology key and
 * policy, and the group's count includes each node's replicas. The group's pods of one revision count
 * together (matchLabelKeys: topo.dev/group-revision, the hash of every member's pod spec), for the reason
 * pod-template-hash does for one node's. The constraint does not depend on the
 * number of replicas (a single pod's is trivially met), so scaling never changes the pod template; but
 * DoNotSchedule over nodes asks for a node per replica (minDomains): with fewer nodes, the pods beyond
 * maxSkew per node stay Pending instead of sharing one, and its replicas are part of the template.
 */
export function renderSpread(topology: Topology, node: ResolvedNode): Record<string, unknown>[] {
  const { spread, maxSkew, whenUnsatisfiable } = node.placement;
  if (spread === "none" || node.task) return [];
  const base = { maxSkew, topologyKey: TOPOLOGY_KEY[spread], whenUnsatisfiable };
  const group = spreadGroup(topology, node);
  if (group)
    return [
      {
        ...base,
        labelSelector: { matchLabels: { [LABEL_TOPOLOGY]: topology.name, [LABEL_GROUP]: group } },
        matchLabelKeys: [LABEL_GROUP_REVISION],
      },
    ];
  const insist = whenUnsatisfiable === "DoNotSchedule" && spread === "nodes";
  return [
    {
      ...base,
      labelSelector: { matchLabels: selectorLabels(topology.name, node.name) },
      matchLabelKeys: ["pod-template-hash"],
      ...(insist ? { minDomains: Math.max(node.replicas, 1) } : {}),
    },
  ];
}
