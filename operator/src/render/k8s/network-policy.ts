// renderNetworkPolicy: with isolation "links", a node accepts traffic only from the nodes that declare an edge to it.
import { LABEL_NODE, LABEL_TOPOLOGY } from "../../api/constants.ts";
import { objectName, peersOf, type ResolvedNode, type Topology } from "../../api/topology.ts";
import { childMeta, selectorLabels, type KubeObject } from "./labels.ts";

/** The nodes that talk to `node`: those whose connectsTo or dependsOn names it. */
export function incomingPeers(topology: Topology, node: ResolvedNode): string[] {
  return topology.nodes.filter((n) => peersOf(n).includes(node.name)).map((n) => n.name);
}

export function renderNetworkPolicy(topology: Topology, node: ResolvedNode): KubeObject | undefined {
  if (topology.isolation !== "links") return undefined;
  const peers = incomingPeers(topology, node);
  const published = node.ports.filter((p) => p.hostPort !== undefined);
  const ingress = [
    ...(peers.length
      ? [{ from: peers.map((p) => ({ podSelector: { matchLabels: { [LABEL_TOPOLOGY]: topology.name, [LABEL_NODE]: p } } })) }]
      : []),
    // Published ports are reachable from anywhere, as they are on the host in Compose.
    ...(published.length ? [{ ports: published.map((p) => ({ port: p.port, protocol: p.protocol })) }] : []),
  ];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(topology, node.name, objectName(topology.name, node.name)),
    spec: { podSelector: { matchLabels: selectorLabels(topology.name, node.name) }, policyTypes: ["Ingress"], ingress },
  };
}
