// renderKubernetes(topology): every object the operator applies, in apply order (pure, deterministic).
import type { Topology } from "../../api/topology.ts";
import { renderDeployment } from "./deployment.ts";
import { renderConfigMap } from "./files.ts";
import { renderJob } from "./job.ts";
import type { KubeObject } from "./labels.ts";
import { incomingPeers, renderNetworkPolicy } from "./network-policy.ts";
import { renderService, renderVolumeClaims } from "./service.ts";

export type { KubeObject } from "./labels.ts";
export { hashOf, peerAddresses, renderDeployment } from "./deployment.ts";
export { jobName, renderJob } from "./job.ts";
export { configMapName, fileKeys, FILES_VOLUME, nodeConfigMap, renderConfigMap } from "./files.ts";

/**
 * The kinds the operator owns, in the order it applies them: a NetworkPolicy before the Deployment (or a
 * task's Job) whose pods it isolates, so no pod runs without its policy; a ConfigMap before the pods that
 * mount it.
 */
export const OWNED_KINDS = [
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "v1", kind: "PersistentVolumeClaim" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" },
  { apiVersion: "batch/v1", kind: "Job" },
  { apiVersion: "apps/v1", kind: "Deployment" },
] as const;
export type OwnedKind = (typeof OWNED_KINDS)[number]["kind"];

/** The apiVersion of an owned kind. */
export function apiVersionOf(kind: string): string | undefined {
  return OWNED_KINDS.find((k) => k.kind === kind)?.apiVersion;
}

export function renderKubernetes(topology: Topology): KubeObject[] {
  const configMaps = topology.nodes.flatMap((n) => renderConfigMap(topology, n) ?? []);
  const claims = topology.nodes.flatMap((n) => renderVolumeClaims(topology, n));
  const services = topology.nodes.flatMap((n) => renderService(topology, n) ?? []);
  const jobs = topology.nodes.filter((n) => n.task).map((n) => renderJob(topology, n));
  const deployments = topology.nodes.filter((n) => !n.task).map((n) => renderDeployment(topology, n));
  const incoming = incomingPeers(topology);
  const policies = topology.nodes.flatMap((n) => renderNetworkPolicy(topology, n, incoming) ?? []);
  return [...configMaps, ...claims, ...services, ...policies, ...jobs, ...deployments];
}
