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

/** The topology's nodes by name, made once per topology: a mesh member looks up every other member. */
const nodesByName = new WeakMap<Topology, Map<string, ResolvedNode>>();
function nodeNamed(topology: Topology, name: string): ResolvedNode | undefined {
  let byName = nodesByName.get(topology);
  if (!byName) nodesByName.set(topology, (byName = new Map(topology.nodes.map((n) => [n.name, n]))));
  return byName.get(name);
}

/** `host:port` of each peer that has a port, in declaration order. */
export function peerAddresses(topology: Topology, node: ResolvedNode): string[] {
  return peersOf(node).flatMap((peer) => {
    const port = nodeNamed(topology, peer)?.ports[0]?.port;
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

interface RenderedSpec {
  spec: Record<string, unknown>;
  hash: string;
}

/**
 * Per topology (immutable once parsed): each group's revision, and the members' pod specs (with their
 * hashes) rendered for it until their own Deployment takes them, once: each is rendered and hashed once.
 */
const memo = new WeakMap<Topology, { revisions: Map<string, string>; specs: Map<string, RenderedSpec> }>();

function renderSpec(topology: Topology, node: ResolvedNode): RenderedSpec {
  const spec = deploymentPodSpec(topology, node);
  return { spec, hash: hashOf(spec) };
}

/** The hash of every member's pod spec hash: it moves whenever one of them does. */
function groupRevision(topology: Topology, group: string): string {
  const known = memo.get(topology) ?? { revisions: new Map(), specs: new Map() };
  memo.set(topology, known);
  let revision = known.revisions.get(group);
  if (revision === undefined) {
    const members = topology.nodes.filter((n) => !n.task && spreadGroup(topology, n) === group);
    const hashes = members.map((n) => {
      const rendered = renderSpec(topology, n);
      known.specs.set(n.name, rendered);
      return rendered.hash;
    });
    revision = hashOf(hashes);
    known.revisions.set(group, revision);
  }
  return revision;
}

/** The pod spec rendered for the node's group revision, handed out once; otherwise a new one. */
function takeSpec(topology: Topology, node: ResolvedNode): RenderedSpec {
  const specs = memo.get(topology)?.specs;
  const rendered = specs?.get(node.name);
  if (!rendered) return renderSpec(topology, node);
  specs!.delete(node.name);
  return rendered;
}

export function renderDeployment(topology: Topology, node: ResolvedNode): KubeObject {
  const name = spreadGroup(topology, node);
  const group = name === undefined ? undefined : { name, revision: groupRevision(topology, name) };
  // Placement is part of the pod spec, so of the config hash: a change of it rolls out like any other.
  const { spec: podSpec, hash: specHash } = takeSpec(topology, node);
  // A group member's template carries the group's revision: in its hash too, so the revision says it rolls.
  const hash = group ? hashOf([specHash, group.revision]) : specHash;
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
