// renderNetworkPolicy: with isolation "links", a node accepts traffic only from the nodes that declare an edge to it.
import { LABEL_NODE, LABEL_TOPOLOGY } from "../../api/constants.ts";
import { objectName, peersOf, type ResolvedNode, type Topology } from "../../api/topology.ts";
import { childMeta, selectorLabels, type KubeObject } from "./labels.ts";

/**
 * For every node, the nodes that talk to it: those whose connectsTo or dependsOn names it. Nothing talks
 * to a task: depending on one is an order, not a link.
 */
export function incomingPeers(topology: Topology): Map<string, string[]> {
  const incoming = new Map<string, string[]>(topology.nodes.filter((n) => !n.task).map((n) => [n.name, []]));
  for (const n of topology.nodes) for (const peer of peersOf(n)) incoming.get(peer)?.push(n.name);
  return incoming;
}

export function renderNetworkPolicy(
  topology: Topology,
  node: ResolvedNode,
  incoming: Map<string, string[]>,
): KubeObject | undefined {
  if (topology.isolation !== "links") return undefined;
  const peers = incoming.get(node.name) ?? [];
  const published = node.ports.filter((p) => p.hostPort !== undefined);
  const ingress = [
    // One selector for all peers keeps the policy small even for a 100-node mesh.
    ...(peers.length
      ? [
          {
            from: [
              {
                podSelector: {
                  matchLabels: { [LABEL_TOPOLOGY]: topology.name },
                  matchExpressions: [{ key: LABEL_NODE, operator: "In", values: peers }],
                },
              },
            ],
          },
        ]
      : []),
    // Published ports are reachable from anywhere, as they are on the host in Compose.
    ...(published.length ? [{ ports: published.map((p) => ({ port: p.port, protocol: p.protocol })) }] : []),
  ];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(topology, node.name, objectName(topology.name, node.name)),
    spec: {
      podSelector: { matchLabels: selectorLabels(topology.name, node.name) },
      policyTypes: ["Ingress"],
      // No rules means no ingress at all; an empty list would be dropped by the API server and make every
      // server-side apply a write.
      ...(ingress.length ? { ingress } : {}),
    },
  };
}
