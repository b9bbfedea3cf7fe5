// renderService and renderVolumeClaims: the network name and the storage of a node (pure).
import { objectName, type ResolvedNode, type Topology } from "../../api/topology.ts";
import { pvcName } from "./deployment.ts";
import { childMeta, selectorLabels, type KubeObject } from "./labels.ts";

/** A ClusterIP Service named <topology>-<node>, when the node has ports. */
export function renderService(topology: Topology, node: ResolvedNode): KubeObject | undefined {
  if (node.ports.length === 0) return undefined;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMeta(topology, node.name, objectName(topology.name, node.name)),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(topology.name, node.name),
      ports: node.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.name,
        protocol: p.protocol,
      })),
    },
  };
}

export function renderVolumeClaims(topology: Topology, node: ResolvedNode): KubeObject[] {
  return node.volumes.map((v) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: childMeta(topology, node.name, pvcName(topology.name, node.name, v.name)),
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: String(v.size) } } },
  }));
}
