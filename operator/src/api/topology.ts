// The resolved Topology: generators expanded and defaults merged, the one value both renderers read.
import type { EnvVar, Port, SecretRef, Resources, Rollout, Shape, TopologySpec, Volume } from "./schema.ts";

export type PathSegment = string | number;
export type Path = PathSegment[];

export interface ResolvedHealth {
  kind: "http" | "tcp" | "exec";
  path?: string;
  /** The port as written (name or number) and the number it resolves to. */
  port?: string | number;
  portNumber?: number;
  command?: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}

export interface NodeOrigin {
  /** Where the node itself was declared: spec.nodes[i] or spec.generators[g]. */
  path: Path;
  /** Where each field's value came from (the node, a generator template or spec.defaults). */
  fields: Partial<Record<string, Path>>;
  generator?: { index: number; prefix: string; ordinal: number; shape: Shape };
}

/** Where a node's pods go on Kubernetes: spec.placement under the node's (or template's) own, with defaults. */
export interface ResolvedPlacement {
  spread: "nodes" | "zones" | "none";
  maxSkew: number;
  whenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule";
}

/** A file of a node: content or a Secret's key, at an absolute path, with its mode (a number, e.g. 0o444). */
export interface ResolvedFile {
  path: string;
  content?: string;
  secretRef?: SecretRef;
  mode: number;
}

/** A task's settings with their defaults. */
export interface ResolvedTask {
  retries: number;
  timeout: string;
}

/** A node's build with its defaults; the context as written (relative to the topology file). */
export interface ResolvedBuild {
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
}

export interface ResolvedNode {
  name: string;
  /** The image to run; with build, the repository to tag the built image as ("" for topo.local/...). */
  image: string;
  /** Set when the image is built from source (`topo up`, `topo build`): the operator never builds. */
  build?: ResolvedBuild;
  replicas: number;
  command?: string[];
  args?: string[];
  ports: (Port & { protocol: "TCP" | "UDP" })[];
  env: EnvVar[];
  health?: ResolvedHealth;
  volumes: Volume[];
  /** Config and secret files, sorted by path; merged by path from defaults and templates. */
  files: ResolvedFile[];
  resources?: Resources;
  dependsOn: string[];
  connectsTo: string[];
  /** Set on a task: a node that runs to completion once per revision that changes it. */
  task?: ResolvedTask;
  placement: ResolvedPlacement;
  origin: NodeOrigin;
}

export interface Topology {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  spec: TopologySpec;
  nodes: ResolvedNode[];
  isolation: "links" | "none";
  rollout: Rollout;
}

export interface Issue {
  path: Path;
  message: string;
  severity: "error" | "warning";
}

/** `spec.nodes[0].image` — how paths are printed in messages. */
export function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out;
}

/** The key under which NodeOrigin.fields records where one file (by path) was declared. */
export const fileOrigin = (path: string) => `files[${path}]`;

/** "0444" for a mode number: how modes are written in the spec and in messages. */
export const formatMode = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;

/** The peers of a node in declaration order: connectsTo, then dependsOn, without repeats. */
export function peersOf(node: ResolvedNode): string[] {
  return [...new Set([...node.connectsTo, ...node.dependsOn])];
}

/** The object name of a node's children on Kubernetes and its host name in both targets. */
export function objectName(topology: string, node: string): string {
  return `${topology}-${node}`;
}

/**
 * The host ports Compose publishes for one port of a node: hostPort for one container, and one more per
 * further replica (Docker gives each container a free port of the range). Kubernetes ignores hostPort.
 */
export function hostPortRange(
  node: Pick<ResolvedNode, "replicas">,
  port: Pick<Port, "hostPort">,
): { first: number; last: number } | undefined {
  if (port.hostPort === undefined) return undefined;
  return { first: port.hostPort, last: port.hostPort + Math.max(node.replicas, 1) - 1 };
}
