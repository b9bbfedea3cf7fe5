// renderService: one node as a Compose service, mapped field by field like the Kubernetes container (pure).
import {
  ANNOTATION_CONFIG_HASH,
  ENV_NODE,
  ENV_PEERS,
  ENV_TOPOLOGY,
  LABEL_NODE,
  LABEL_TOPOLOGY,
} from "../../api/constants.ts";
import { parseDuration, quantityValue } from "../../api/units.ts";
import {
  hostPortRange,
  objectName,
  type ResolvedHealth,
  type ResolvedNode,
  type Topology,
} from "../../api/topology.ts";
import { hashOf, peerAddresses } from "../k8s/index.ts";
import { nodeFiles, renderServiceFiles, type ComposeFilesOptions } from "./files.ts";
import { secretVariableName } from "./secrets.ts";

/** Compose interpolates `$` everywhere (x- fields too, in v2): a literal `$` is written `$$`. */
export function escapeDollars(text: string): string {
  return text.replace(/\$/g, () => "$$");
}

/** A duration Compose 1.29 and v2 both parse: whole seconds when possible, else milliseconds. */
export function composeDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The repository a built node's image is tagged as when the node names none. */
export function builtImageRepository(topology: string, node: string): string {
  return `topo.local/${objectName(topology, node)}`;
}

function renderBuild(build: NonNullable<ResolvedNode["build"]>): Record<string, unknown> {
  return {
    context: build.context,
    dockerfile: build.dockerfile,
    ...(Object.keys(build.args).length
      ? { args: Object.fromEntries(Object.entries(build.args).map(([k, v]) => [k, escapeDollars(v)])) }
      : {}),
    ...(build.target ? { target: build.target } : {}),
  };
}

/** The volume's name in the compose file; Compose prefixes the project name. */
export function volumeName(node: string, volume: string): string {
  return `${node}-${volume}`;
}

/** The probe's command, run inside the container with busybox-style tools (the image must have them). */
export function healthTest(h: ResolvedHealth): string[] {
  const port = String(h.portNumber ?? h.port);
  if (h.kind === "http") return ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}${h.path}`];
  // `nc -z` where the netcat has it (OpenBSD, Alpine's busybox); Debian's busybox nc lacks -z, but a
  // connection closed at once by an empty stdin tells the same thing.
  if (h.kind === "tcp")
    return ["CMD-SHELL", `nc -z 127.0.0.1 ${port} 2>/dev/null || nc -w 2 127.0.0.1 ${port} </dev/null`];
  return ["CMD", ...(h.command ?? [])];
}

export function renderHealthcheck(h: ResolvedHealth): Record<string, unknown> {
  // Zero means "the engine's default" to Docker; Kubernetes' minimum of 1s is closer to what was asked.
  const positive = (text: string, fallback: number) => {
    const ms = parseDuration(text) ?? fallback;
    return ms > 0 ? ms : 1000;
  };
  const start = parseDuration(h.startPeriod) ?? 0;
  return {
    test: healthTest(h).map(escapeDollars),
    interval: composeDuration(positive(h.interval, 10_000)),
    timeout: composeDuration(positive(h.timeout, 2000)),
    retries: h.retries,
    ...(start > 0 ? { start_period: composeDuration(start) } : {}),
  };
}

export function renderEnvironment(topology: Topology, node: ResolvedNode): Record<string, string> {
  const env: Record<string, string> = {
    [ENV_TOPOLOGY]: topology.name,
    [ENV_NODE]: node.name,
    [ENV_PEERS]: peerAddresses(topology, node).join(","),
  };
  for (const e of node.env)
    env[e.name] = e.secretRef ? `\${${secretVariableName(e.secretRef)}}` : escapeDollars(e.value ?? "");
  return env;
}

/**
 * A node's CPU and memory as Compose's service-level limits, which Compose 1.29 and v2 both read: `cpus`
 * in cores, `mem_limit` in bytes (Docker's own units are binary, so bytes say a decimal `M` exactly). The
 * Kubernetes container gets the same amounts as its requests and limits.
 */
export function renderResources(resources: ResolvedNode["resources"]): Record<string, number> {
  const cpu = resources?.cpu === undefined ? undefined : quantityValue(String(resources.cpu));
  const memory = resources?.memory === undefined ? undefined : quantityValue(String(resources.memory));
  return {
    ...(cpu !== undefined ? { cpus: Math.round(cpu * 1000) / 1000 } : {}),
    ...(memory !== undefined ? { mem_limit: Math.round(memory) } : {}),
  };
}

export interface ServiceOptions {
  publishPorts: boolean;
  networks: string[];
  /** Whether each node has a health check, for depends_on conditions. */
  healthy: (node: string) => boolean;
  /** Whether each node is a task: its dependents wait until it completed successfully. */
  task: (node: string) => boolean;
  /** Which Compose reads the file and where the node's files are (files.ts). */
  files: ComposeFilesOptions;
}

/** A dependent's depends_on condition: a task completed, a node with a health check healthy, or started. */
function condition(dep: string, opts: ServiceOptions): string {
  if (opts.task(dep)) return "service_completed_successfully";
  return opts.healthy(dep) ? "service_healthy" : "service_started";
}

export function renderService(
  topology: Topology,
  node: ResolvedNode,
  opts: ServiceOptions,
): Record<string, unknown> {
  const published = opts.publishPorts ? node.ports.filter((p) => p.hostPort !== undefined) : [];
  const exposed = node.ports.filter((p) => !published.includes(p));
  const alias = objectName(topology.name, node.name);
  const files = renderServiceFiles(node, opts.files);
  const service: Record<string, unknown> = {
    image: escapeDollars(node.image || builtImageRepository(topology.name, node.name)),
    // `topo up` builds (and then renders the tag it built, without build); `topo compose` leaves it to Compose.
    ...(node.build ? { build: renderBuild(node.build) } : {}),
    // Kubernetes command replaces the entrypoint and args the command, as here; both clear the image's CMD.
    ...(node.command ? { entrypoint: node.command.map(escapeDollars) } : {}),
    ...(node.args ? { command: node.args.map(escapeDollars) } : {}),
    environment: renderEnvironment(topology, node),
    ...(published.length
      ? {
          ports: published.map((p) => {
            const { first, last } = hostPortRange(node, p)!;
            // A replicated node publishes a range, one port per container; Compose 1.29 reads a range
            // only in the short syntax.
            if (last > first) return `${first}-${last}:${p.port}/${p.protocol.toLowerCase()}`;
            return { target: p.port, published: first, protocol: p.protocol.toLowerCase() };
          }),
        }
      : {}),
    ...(exposed.length
      ? { expose: exposed.map((p) => (p.protocol === "UDP" ? `${p.port}/udp` : String(p.port))) }
      : {}),
    ...(node.health ? { healthcheck: renderHealthcheck(node.health) } : {}),
    ...renderResources(node.resources),
    ...(node.dependsOn.length
      ? {
          depends_on: Object.fromEntries(
            node.dependsOn.map((d) => [d, { condition: condition(d, opts) }]),
          ),
        }
      : {}),
    // A task runs once to completion: never restarted, by the engine or on failure.
    restart: node.task ? "no" : "unless-stopped",
    ...(node.volumes.length || files.binds
      ? {
          volumes: [
            ...node.volumes.map((v) => ({
              type: "volume",
              source: volumeName(node.name, v.name),
              target: escapeDollars(v.mountPath),
            })),
            ...(files.binds ?? []),
          ],
        }
      : {}),
    ...(files.configs ? { configs: files.configs } : {}),
    ...(files.secrets ? { secrets: files.secrets } : {}),
    deploy: { replicas: node.replicas },
  };
  return {
    ...service,
    labels: {
      [LABEL_TOPOLOGY]: topology.name,
      [LABEL_NODE]: node.name,
      // A task's container says which configuration it ran, so `topo up` runs it again only once that changes.
      ...(node.task ? { [ANNOTATION_CONFIG_HASH]: taskHash(withoutFileMounts(node, service)) } : {}),
    },
    networks: Object.fromEntries(opts.networks.map((n) => [n, { aliases: [alias] }])),
  };
}

/**
 * The service as a task's hash sees it: its files by path, content directory and mode rather than by how
 * each Compose mounts them, so the hash is the same for Compose v2 and 1.29 and wherever the files are.
 */
function withoutFileMounts(node: ResolvedNode, service: Record<string, unknown>): Record<string, unknown> {
  if (node.files.length === 0) return service;
  const { configs: _c, secrets: _s, volumes, ...rest } = service;
  const named = (volumes as { type: string }[] | undefined)?.filter((v) => v.type === "volume") ?? [];
  return {
    ...rest,
    ...(named.length ? { volumes: named } : {}),
    files: nodeFiles(node).map((f) => [f.target, f.file, f.mode]),
  };
}

/**
 * What a task runs, hashed: image, command, environment, volumes and its dependencies (not its networks,
 * which follow the rest of the graph), as a Job's pod template on Kubernetes.
 */
export function taskHash(service: Record<string, unknown>): string {
  return hashOf(service);
}
