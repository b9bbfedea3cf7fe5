// renderDeployment: a node's Deployment, with probes, peers, secrets and a configuration hash (pure).
import { createHash } from "node:crypto";
import { ANNOTATION_CONFIG_HASH, ENV_NODE, ENV_PEERS, ENV_TOPOLOGY } from "../../api/constants.ts";
import { durationSeconds, parseDuration } from "../../api/units.ts";
import {
  objectName,
  peersOf,
  type ResolvedHealth,
  type ResolvedNode,
  type Topology,
} from "../../api/topology.ts";
import { filesAnnotation, renderFileMounts, renderFilesVolume } from "./files.ts";
import { childMeta, groupLabels, nodeLabels, selectorLabels, type KubeObject } from "./labels.ts";
import { renderSpread, spreadGroup } from "./placement.ts";

/** `host:port` of each peer that has a port, in declaration order. */
export function peerAddresses(topology: Topology, node: ResolvedNode): string[] {
  return peersOf(node).flatMap((peer) => {
    const port = topology.nodes.find((n) => n.name === peer)?.ports[0]?.port;
    return port === undefined ? [] : [`${objectName(topology.name, peer)}:${port}`];
  });
}

function renderProbe(h: ResolvedHealth, liveness: boolean): Record<string, unknown> {
  const action =
    h.kind === "http"
      ? { httpGet: { path: h.path, port: h.port } }
      : h.kind === "tcp"
        ? { tcpSocket: { port: h.port } }
        : { exec: { command: h.command } };
  const startSeconds = durationSeconds(parseDuration(h.startPeriod) ?? 0);
  return {
    ...action,
    ...(liveness && startSeconds > 0 ? { initialDelaySeconds: startSeconds } : {}),
    periodSeconds: durationSeconds(parseDuration(h.interval) ?? 10_000, 1),
    timeoutSeconds: durationSeconds(parseDuration(h.timeout) ?? 2000, 1),
    failureThreshold: h.retries,
  };
}

const quantity = (q: string | number) => String(q);

function renderContainer(topology: Topology, node: ResolvedNode): Record<string, unknown> {
  const env = [
    { name: ENV_TOPOLOGY, value: topology.name },
    { name: ENV_NODE, value: node.name },
    { name: ENV_PEERS, value: peerAddresses(topology, node).join(",") },
    ...node.env.map((e) =>
      e.secretRef
        ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secretRef.name, key: e.secretRef.key } } }
        : { name: e.name, value: e.value },
    ),
  ];
  const r = node.resources;
  const amounts = r
    ? {
        ...(r.cpu !== undefined ? { cpu: quantity(r.cpu) } : {}),
        ...(r.memory !== undefined ? { memory: quantity(r.memory) } : {}),
      }
    : {};
  return {
    name: node.name,
    image: node.image,
    ...(node.command ? { command: node.command } : {}),
    ...(node.args ? { args: node.args } : {}),
    ...(node.ports.length
      ? { ports: node.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })) }
      : {}),
    env,
    ...(Object.keys(amounts).length ? { resources: { requests: amounts, limits: amounts } } : {}),
    ...(node.health
      ? { readinessProbe: renderProbe(node.health, false), livenessProbe: renderProbe(node.health, true) }
      : {}),
    ...(node.volumes.length || node.files.length
      ? {
          volumeMounts: [
            ...node.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath })),
            ...renderFileMounts(node),
          ],
        }
      : {}),
  };
}

export function pvcName(topology: string, node: string, volume: string): string {
  return `${objectName(topology, node)}-${volume}`;
}

/** A short, stable hash of a value's JSON (keys are built in a fixed order, so the JSON is stable). */
export function hashOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** A node's pod spec, as its Deployment's (or a task's Job's) template holds it. */
export function renderPodSpec(topology: Topology, node: ResolvedNode): Record<string, unknown> {
  const files = renderFilesVolume(topology, node);
  return {
    enableServiceLinks: false,
    containers: [renderContainer(topology, node)],
    ...(node.volumes.length || files
      ? {
          volumes: [
            ...node.volumes.map((v) => ({
              name: v.name,
              persistentVolumeClaim: { claimName: pvcName(topology.name, node.name, v.name) },
            })),
            ...(files ? [files] : []),
          ],
        }
      : {}),
  };
}

/** A Deployment's pod spec: the node's, with its spread. */
function deploymentPodSpec(topology: Topology, node: ResolvedNode): Record<string, unknown> {
  const spread = renderSpread(topology, node);
  return {
    ...renderPodSpec(topology, node),
    ...(spread.length ? { topologySpreadConstraints: spread } : {}),
  };
}

/** Per topology (immutable once parsed) and group, the hash of its members' pod specs: computed once. */
const groupRevisions = new WeakMap<Topology, Map<string, string>>();

function groupRevision(topology: Topology, group: string): string {
  const known = groupRevisions.get(topology) ?? new Map<string, string>();
  groupRevisions.set(topology, known);
  let revision = known.get(group);
  if (revision === undefined) {
    const members = topology.nodes.filter((n) => !n.task && spreadGroup(topology, n) === group);
    revision = hashOf(members.map((n) => deploymentPodSpec(topology, n)));
    known.set(group, revision);
  }
  return revision;
}

export function renderDeployment(topology: Topology, node: ResolvedNode): KubeObject {
  // Placement is part of the pod spec, so of the config hash: a change of it rolls out like any other.
  const podSpec = deploymentPodSpec(topology, node);
  const name = spreadGroup(topology, node);
  const group = name === undefined ? undefined : { name, revision: groupRevision(topology, name) };
  // A group member's template carries the group's revision: in its hash too, so the revision says it rolls.
  const hash = hashOf(group ? { podSpec, group: group.revision } : podSpec);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: childMeta(topology, node.name, objectName(topology.name, node.name)),
    spec: {
      replicas: node.replicas,
      selector: { matchLabels: selectorLabels(topology.name, node.name) },
      strategy: node.volumes.length ? { type: "Recreate" } : { type: "RollingUpdate" },
      progressDeadlineSeconds: topology.rollout.progressDeadlineSeconds,
      revisionHistoryLimit: topology.rollout.historyLimit,
      template: {
        metadata: {
          labels: {
            ...nodeLabels(topology.name, node.name),
            ...groupLabels(group),
          },
          annotations: { [ANNOTATION_CONFIG_HASH]: hash, ...filesAnnotation(topology, node) },
        },
        spec: podSpec,
      },
    },
  };
}
