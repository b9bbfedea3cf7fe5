// The single-machine source: Topo's Compose projects on the local Docker engine, read through local/'s
// one Docker layer (containers, events) and state store (state.json, revisions/<n>/). What is the
// dashboard's own is the mapping: the project's compose file carries the declared graph in its `x-topo`
// extension and each service's environment; state.json is watched so a rollback shows at once.
import type { FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { LABEL_NODE, LABEL_TOPOLOGY, RESERVED_ENV } from "../api/constants.ts";
import { secretVariableName } from "../render/compose/index.ts";
import { describeContainer, topologyFilter, type ContainerState, type Docker } from "../local/docker.ts";
import { readState, stateDirOfComposeFile, statePaths, watchState, type LocalState } from "../local/state.ts";
import { toDetail, toSummary, type DeclaredNode, type ObservedTopology } from "./model.ts";
import type { DashboardSource } from "./source.ts";
import type { DashboardEvent, NodePhase } from "./types.ts";

export const LOCAL_NAMESPACE = "local";

/** The `x-topo` extension Topo's compose renderer writes (only the fields the dashboard reads). */
interface XTopo {
  topology?: string;
  nodes?: {
    name: string;
    image?: string;
    replicas?: number;
    ports?: { name?: string; port: number; protocol?: string; hostPort?: number }[];
    connectsTo?: string[];
    dependsOn?: string[];
    secretRefs?: (string | { name?: string; env?: string; secret?: string; secretRef?: { name: string } })[];
    task?: { retries: number; timeout: string };
  }[];
}

/** The parts of a compose file the dashboard reads. */
interface ComposeFile {
  services?: Record<string, { environment?: Record<string, unknown> | string[] } | null>;
  "x-topo"?: XTopo;
}

/** One container's phase: running and healthy (or without a healthcheck) is Ready. */
export function containerPhase(c: Pick<ContainerState, "status" | "health">): NodePhase {
  if (c.status === "running") {
    if (!c.health || c.health === "healthy") return "Ready";
    return c.health === "unhealthy" ? "Degraded" : "Progressing";
  }
  if (c.status === "created") return "Waiting";
  if (c.status === "restarting") return "Progressing";
  return "Degraded";
}

/** A task's phase from its container: running, then exited 0 (Succeeded) or not (Failed). */
export function taskPhase(c: Pick<ContainerState, "status" | "exitCode"> | undefined): NodePhase {
  if (!c) return "Pending";
  if (c.status === "created") return "Waiting";
  if (c.status === "exited" || c.status === "dead") return c.exitCode === 0 ? "Succeeded" : "Failed";
  return "Running";
}

/**
 * A node's env as its compose service declares it, without what Topo adds (TOPO_NODE...). A secret is a
 * `${TOPO_SECRET_<SECRET>_<KEY>}` interpolation: shown as the secret's name from `x-topo` (or as the
 * variable, when two secrets could have made it), never a value (the file holds none). Literal values
 * come back from Compose's `$$` escaping.
 */
export function composeEnv(
  environment: Record<string, unknown> | string[] | undefined,
  secrets: readonly string[],
): DeclaredNode["env"] {
  const entries: [string, string][] = Array.isArray(environment)
    ? environment.map((e) => {
        const i = e.indexOf("=");
        return i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)];
      })
    : Object.entries(environment ?? {}).map(([k, v]) => [k, v === null || v === undefined ? "" : String(v)]);
  const prefixes = secrets.map((name) => ({ name, prefix: secretVariableName({ name, key: "" }) }));
  return entries
    .filter(([name]) => !RESERVED_ENV.includes(name))
    .map(([name, value]) => {
      const variable = /^\$\{(TOPO_SECRET_[A-Za-z0-9_]+)\}$/.exec(value)?.[1];
      if (variable === undefined) return { name, value: value.replaceAll("$$", "$") };
      // Secret "db" key "secrets-token" and secret "db-secrets" key "token" make the same prefix: when
      // more than one secret could have made the variable, name the variable instead of guessing.
      const from = prefixes.filter((p) => variable.startsWith(p.prefix));
      return { name, secretRef: { name: from.length === 1 ? from[0]!.name : variable, key: "" } };
    });
}

/** Env from `x-topo` alone (a compose file without the service): the secrets' names. */
function secretEnv(refs: NonNullable<XTopo["nodes"]>[number]["secretRefs"]): DeclaredNode["env"] {
  return (refs ?? []).map((r, i) =>
    typeof r === "string"
      ? { name: r, secretRef: { name: r, key: "" } }
      : {
          name: r.env ?? r.name ?? `secret-${i}`,
          secretRef: { name: r.secretRef?.name ?? r.secret ?? r.name ?? "", key: "" },
        },
  );
}

const secretNames = (refs: NonNullable<XTopo["nodes"]>[number]["secretRefs"]) =>
  (refs ?? []).map((r) => (typeof r === "string" ? r : (r.secretRef?.name ?? r.secret ?? r.name ?? "")));

async function readYaml<T>(file: string): Promise<T | undefined> {
  try {
    return (parseYaml(await readFile(file, "utf8")) as T | null) ?? undefined;
  } catch {
    return undefined; // gone or unreadable: draw what the containers say
  }
}

/** Topology-level phase from node phases and the state file's last outcome. */
function topologyPhase(phases: NodePhase[], state: LocalState | undefined): string {
  const last = state?.history.at(-1);
  if (last?.outcome === "RolledBack") return "RolledBack";
  if (phases.length && phases.every((p) => p === "Ready" || p === "Succeeded")) return "Ready";
  if (phases.some((p) => p === "Degraded" || p === "Failed")) return "Degraded";
  return "Progressing";
}

/** Each node's image in one revision that `topo up` kept (its compose file's `x-topo`). */
async function revisionImages(
  stateDir: string,
  revision: number,
): Promise<Record<string, string> | undefined> {
  const doc = await readYaml<ComposeFile>(statePaths.composeFile(stateDir, revision));
  const nodes = doc?.["x-topo"]?.nodes;
  return nodes?.length ? Object.fromEntries(nodes.map((n) => [n.name, n.image ?? ""])) : undefined;
}

/** state.json, or nothing when it is missing or not what `topo up` writes: draw what the containers say. */
function stateOf(dir: string | undefined): LocalState | undefined {
  if (!dir) return undefined;
  try {
    return readState(dir);
  } catch {
    return undefined;
  }
}

export interface ComposeSourceOptions {
  /** The engine (TOPO_DOCKER and the environment it runs with, from LocalConfig). */
  docker: Docker;
  /** Poll interval, a safety net beside `docker events`. */
  pollMs?: number;
}

export class ComposeSource implements DashboardSource {
  private readonly docker: Docker;
  private readonly listeners = new Set<(key: string) => void>();
  private stopEvents?: () => void;
  private poll?: NodeJS.Timeout;
  private closed = false;
  private lastSignature = "";
  private readonly pollMs: number;
  private readonly stateWatchers = new Map<string, FSWatcher>();

  constructor(options: ComposeSourceOptions) {
    this.docker = options.docker;
    this.pollMs = options.pollMs ?? 5000;
  }

  private containers(topology?: string): Promise<ContainerState[]> {
    return this.docker.listContainers(topologyFilter(topology));
  }

  /** state.json is written after the containers settle (a rollback's outcome): push when it changes. */
  private watchState(dir: string, key: string): void {
    if (this.closed || this.listeners.size === 0 || this.stateWatchers.has(dir)) return;
    const w = watchState(dir, () => this.emit(key));
    if (!w) return; // no such directory (yet): the poll still notices
    w.on("error", () => {
      w.close();
      this.stateWatchers.delete(dir);
    });
    this.stateWatchers.set(dir, w);
  }

  private async observeAll(): Promise<ObservedTopology[]> {
    const byTopology = new Map<string, ContainerState[]>();
    for (const c of await this.containers())
      byTopology.set(c.topology, [...(byTopology.get(c.topology) ?? []), c]);
    return Promise.all([...byTopology].map(([name, cs]) => this.observe(name, cs)));
  }

  private async observe(
    name: string,
    containers: ContainerState[],
    withImages = false,
  ): Promise<ObservedTopology> {
    const file = containers.find((c) => c.configFiles.length)?.configFiles[0];
    const doc: ComposeFile = (file ? await readYaml<ComposeFile>(file) : undefined) ?? {};
    // A project `topo up` started keeps its state beside the compose file; one started by hand has none.
    const stateDir = file ? stateDirOfComposeFile(file) : undefined;
    if (stateDir) this.watchState(stateDir, `${LOCAL_NAMESPACE}/${name}`);
    const state = stateOf(stateDir);
    const xtopo = doc["x-topo"] ?? {};
    const byNode = new Map<string, ContainerState[]>();
    for (const c of containers) {
      const n = c.node || c.name;
      byNode.set(n, [...(byNode.get(n) ?? []), c]);
    }
    const declared: DeclaredNode[] = (xtopo.nodes ?? []).map((n) => ({
      name: n.name,
      image: n.image ?? byNode.get(n.name)?.[0]?.image ?? "",
      replicas: n.replicas ?? 1,
      ports: (n.ports ?? []).map((p, i) => ({
        name: p.name ?? `p${i}`,
        port: p.port,
        protocol: p.protocol === "UDP" ? "UDP" : "TCP",
        ...(p.hostPort ? { hostPort: p.hostPort } : {}),
      })),
      env: doc.services?.[n.name]
        ? composeEnv(doc.services[n.name]!.environment, secretNames(n.secretRefs))
        : secretEnv(n.secretRefs),
      connectsTo: n.connectsTo ?? [],
      dependsOn: n.dependsOn ?? [],
      ...(n.task ? { task: n.task } : {}),
    }));
    for (const [n, cs] of byNode)
      if (!declared.some((d) => d.name === n))
        declared.push({
          name: n,
          image: cs[0]!.image,
          replicas: cs.length,
          ports: [],
          env: [],
          connectsTo: [],
          dependsOn: [],
        });
    const nodes = declared.map((d) => {
      const cs = byNode.get(d.name) ?? [];
      if (d.task) {
        const phase = taskPhase(cs[0]);
        return {
          name: d.name,
          image: cs[0]?.image ?? d.image,
          replicas: 1,
          readyReplicas: phase === "Succeeded" ? 1 : 0,
          phase,
          message: cs[0]
            ? `${cs[0].name}: ${cs[0].status === "exited" ? `exited with code ${cs[0].exitCode}` : cs[0].status}`
            : "",
        };
      }
      const phases = cs.map(containerPhase);
      const ready = phases.filter((p) => p === "Ready").length;
      const phase: NodePhase =
        cs.length === 0
          ? "Pending"
          : ready >= d.replicas
            ? "Ready"
            : (phases.find((p) => p === "Degraded") ?? phases.find((p) => p !== "Ready") ?? "Progressing");
      return {
        name: d.name,
        image: cs[0]?.image ?? d.image,
        replicas: d.replicas,
        readyReplicas: ready,
        phase,
        message: cs.map((c) => `${c.name}: ${describeContainer(c)}`).join(", "),
      };
    });
    return {
      namespace: LOCAL_NAMESPACE,
      name,
      source: "compose",
      declared,
      status: {
        phase: topologyPhase(
          nodes.map((n) => n.phase),
          state,
        ),
        ...(state ? { revision: state.revision } : {}),
        ...(state?.lastGoodRevision !== undefined ? { lastGoodRevision: state.lastGoodRevision } : {}),
        nodes,
        history: await Promise.all(
          (state?.history ?? []).map(async (h) => {
            const images = withImages && stateDir ? await revisionImages(stateDir, h.revision) : undefined;
            return {
              revision: h.revision,
              outcome: h.outcome,
              at: h.at,
              ...(h.reason ? { reason: h.reason } : {}),
              ...(images ? { images } : {}),
            };
          }),
        ),
      },
    };
  }

  async list() {
    return (await this.observeAll()).map(toSummary).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(namespace: string, name: string) {
    if (namespace !== LOCAL_NAMESPACE) return undefined;
    const mine = await this.containers(name);
    return mine.length ? toDetail(await this.observe(name, mine, true)) : undefined;
  }

  /** The engine's own record: `docker events` for the project's containers over the last hour. */
  async events(namespace: string, name: string): Promise<DashboardEvent[]> {
    if (namespace !== LOCAL_NAMESPACE) return [];
    const now = Date.now();
    const events = await this.docker.events(topologyFilter(name), { since: now - 3600_000, until: now });
    return events
      .map((e): DashboardEvent => {
        const { name: container = "", exitCode } = e.attributes;
        const node = e.attributes[LABEL_NODE];
        return {
          at: new Date(e.at).toISOString(),
          type:
            e.action.includes("unhealthy") || e.action === "die" || e.action === "oom" ? "Warning" : "Normal",
          reason: e.action.replace(/^health_status: /, "Health "),
          message: `container ${container} ${e.action}${exitCode ? ` (exit ${exitCode})` : ""}`,
          object: `Container/${container}`,
          ...(node ? { node } : {}),
        };
      })
      .reverse()
      .slice(0, 200);
  }

  subscribe(onChange: (key: string) => void) {
    this.listeners.add(onChange);
    if (!this.stopEvents) this.watch();
    return () => {
      this.listeners.delete(onChange);
    };
  }

  private emit(key: string): void {
    for (const l of this.listeners) l(key);
  }

  /** `docker events` pushes container changes at once; a slow poll catches file edits (state.json). */
  private watch(): void {
    if (this.closed) return;
    this.stopEvents = this.docker.watchEvents(topologyFilter(), (e) =>
      this.emit(`${LOCAL_NAMESPACE}/${e.attributes[LABEL_TOPOLOGY]}`),
    );
    this.poll = setInterval(() => {
      void this.list()
        .then((list) => {
          const sig = JSON.stringify(list);
          if (this.lastSignature && sig !== this.lastSignature)
            for (const t of list) this.emit(`${LOCAL_NAMESPACE}/${t.name}`);
          this.lastSignature = sig;
        })
        .catch(() => undefined);
    }, this.pollMs);
    this.poll.unref();
  }

  async close() {
    this.closed = true;
    this.listeners.clear();
    if (this.poll) clearInterval(this.poll);
    this.stopEvents?.();
    for (const w of this.stateWatchers.values()) w.close();
    this.stateWatchers.clear();
  }
}
