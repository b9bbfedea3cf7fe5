// renderCompose(topology): the docker-compose.yml for a topology, accepted by Compose 1.29 and v2 (pure).
import { toYaml } from "../yaml.ts";
import { LABEL_NODE, LABEL_TOPOLOGY } from "../../api/constants.ts";
import type { Topology } from "../../api/topology.ts";
import { renderFileEntries, type ComposeVersion } from "./files.ts";
import { planNetworks } from "./networks.ts";
import { secretVariables } from "./secrets.ts";
import { escapeDollars, renderService, volumeName } from "./service.ts";

export {
  contentDir,
  filesToWrite,
  nodeFiles,
  type ComposeFilesOptions,
  type ComposeVersion,
  type FileToWrite,
} from "./files.ts";
export { cliqueCover, planNetworks, undirectedEdges, type NetworkPlan } from "./networks.ts";
export {
  formatEnvExample,
  secretVariableName,
  secretVariables,
  SecretVariableConflictError,
  type SecretVariable,
} from "./secrets.ts";
export {
  builtImageRepository,
  composeDuration,
  escapeDollars,
  healthTest,
  taskHash,
  volumeName,
} from "./service.ts";

export interface RenderComposeOptions {
  /** Publish hostPorts on the host (default true); false exposes them like every other port. */
  publishPorts?: boolean;
  /**
   * Which Compose runs the file (default v2): docker-compose 1.29 ignores `configs:` outside Swarm, so
   * there a content file is a read-only bind mount of the same file.
   */
  compose?: ComposeVersion;
  /** Where the files filesToWrite() lists are, relative to the compose file: default ./files and ./secrets. */
  filesDir?: string;
  secretsDir?: string;
}

/** The resolved graph without secret values, under `x-topo`, for the dashboard and `topo up`. */
export interface TopoExtension {
  topology: string;
  nodes: {
    name: string;
    image: string;
    replicas: number;
    ports: { name: string; port: number; protocol: "TCP" | "UDP"; hostPort?: number }[];
    connectsTo: string[];
    dependsOn: string[];
    /** Names of the secrets the node reads; never keys' values. */
    secretRefs: string[];
    /** Set on a task: it runs to completion, once per change. */
    task?: { retries: number; timeout: string };
  }[];
}

export interface ComposeDocument {
  services: Record<string, Record<string, unknown>>;
  networks: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, unknown>>;
  configs?: Record<string, { file: string }>;
  secrets?: Record<string, { file: string }>;
  "x-topo": TopoExtension;
}

/**
 * The compose document. There is no top-level `name:` because docker-compose 1.29 rejects it; run it
 * with `-p <topology>` (topo up does). Secret values never appear: see secretVariables().
 */
export function renderCompose(topology: Topology, opts: RenderComposeOptions = {}): ComposeDocument {
  secretVariables(topology); // throws when two secret keys would share one variable
  const plan = planNetworks(topology);
  const healthy = new Set(topology.nodes.filter((n) => n.health).map((n) => n.name));
  const tasks = new Set(topology.nodes.filter((n) => n.task).map((n) => n.name));
  const files = {
    compose: opts.compose ?? "v2",
    filesDir: opts.filesDir ?? "./files",
    secretsDir: opts.secretsDir ?? "./secrets",
  };
  const services = Object.fromEntries(
    topology.nodes.map((n) => [
      n.name,
      renderService(topology, n, {
        publishPorts: opts.publishPorts ?? true,
        networks: plan.byNode.get(n.name) ?? [],
        healthy: (name) => healthy.has(name),
        task: (name) => tasks.has(name),
        files,
      }),
    ]),
  );
  const networks = Object.fromEntries(
    [...plan.networks.keys()].map((name) => [name, { labels: { [LABEL_TOPOLOGY]: topology.name } }]),
  );
  const volumes = Object.fromEntries(
    topology.nodes.flatMap((n) =>
      n.volumes.map((v) => [
        volumeName(n.name, v.name),
        { labels: { [LABEL_TOPOLOGY]: topology.name, [LABEL_NODE]: n.name } },
      ]),
    ),
  );
  return {
    services,
    networks,
    ...(Object.keys(volumes).length ? { volumes } : {}),
    ...renderFileEntries(topology, files),
    "x-topo": renderExtension(topology),
  };
}

function renderExtension(topology: Topology): TopoExtension {
  return {
    topology: topology.name,
    nodes: topology.nodes.map((n) => ({
      name: n.name,
      image: escapeDollars(n.image),
      replicas: n.replicas,
      ports: n.ports.map((p) => ({
        name: p.name,
        port: p.port,
        protocol: p.protocol,
        ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
      })),
      connectsTo: n.connectsTo,
      dependsOn: n.dependsOn,
      secretRefs: [...new Set(n.env.flatMap((e) => (e.secretRef ? [e.secretRef.name] : [])))],
      ...(n.task ? { task: n.task } : {}),
    })),
  };
}

/**
 * The compose document as YAML, which Compose v2 (YAML 1.2) and 1.29 (YAML 1.1) read alike: the emitter
 * quotes what YAML 1.1 reads as a boolean or a number, as `restart: no` (false).
 */
export function renderComposeYaml(topology: Topology, opts: RenderComposeOptions = {}): string {
  return toYaml(renderCompose(topology, opts));
}
