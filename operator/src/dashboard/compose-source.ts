// The single-machine source: Topo's Compose projects on the local Docker engine. Containers carry
// topo.dev/* labels; the project's compose file carries the declared graph in its `x-topo` extension and
// each service's environment; `topo up` keeps that file in <state>/revisions/<n>/ and state.json
// (revision, lastGoodRevision, history) in <state>/, which is watched so a rollback shows at once.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { LABEL_NODE, LABEL_TOPOLOGY, RESERVED_ENV } from "../api/constants.ts";
import { secretVariableName } from "../render/compose/index.ts";
import { toDetail, toSummary, type DeclaredNode, type ObservedTopology } from "./model.ts";
import type { DashboardSource } from "./source.ts";
import type { DashboardEvent, NodePhase } from "./types.ts";

const run = promisify(execFile);
export const LOCAL_NAMESPACE = "local";
const CONFIG_FILES = "com.docker.compose.project.config_files";

interface Container {
  Id: string;
  Name: string;
  Config: { Image: string; Labels: Record<string, string> };
  State: { Status: string; Health?: { Status: string }; ExitCode?: number };
}

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
  }[];
}

/** The parts of a compose file the dashboard reads. */
interface ComposeFile {
  services?: Record<string, { environment?: Record<string, unknown> | string[] } | null>;
  "x-topo"?: XTopo;
}

interface StateFile {
  revision?: number;
  lastGoodRevision?: number;
  history?: { revision: number; outcome: string; at: string; reason?: string }[];
}

/**
 * A health check runs as an exec in the container: exec_create/exec_start/exec_die every interval. They
 * change nothing the dashboard shows (a changed health status is its own health_status event).
 */
export const isProbe = (action: string) => action.startsWith("exec_");

/** One container's phase: running and healthy (or without a healthcheck) is Ready. */
export function containerPhase(c: Pick<Container, "State">): NodePhase {
  const { Status, Health } = c.State;
  if (Status === "running") {
    if (!Health || Health.Status === "healthy") return "Ready";
    return Health.Status === "unhealthy" ? "Degraded" : "Progressing";
  }
  if (Status === "created") return "Waiting";
  if (Status === "restarting") return "Progressing";
  return "Degraded";
}

/** Where `topo up` keeps a project: the compose file is <state>/revisions/<n>/docker-compose.yml. */
export function stateDirOf(composeFile: string): string {
  const revisionDir = dirname(composeFile);
  return basename(dirname(revisionDir)) === "revisions" ? dirname(dirname(revisionDir)) : revisionDir;
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
function topologyPhase(phases: NodePhase[], state: StateFile): string {
  const last = state.history?.at(-1);
  if (last?.outcome === "RolledBack") return "RolledBack";
  if (phases.length && phases.every((p) => p === "Ready")) return "Ready";
  if (phases.some((p) => p === "Degraded")) return "Degraded";
  return "Progressing";
}

/** Each node's image in one revision that `topo up` kept (its compose file's `x-topo`). */
async function revisionImages(
  stateDir: string,
  revision: number,
): Promise<Record<string, string> | undefined> {
  const doc = await readYaml<ComposeFile>(
    join(stateDir, "revisions", String(revision), "docker-compose.yml"),
  );
  const nodes = doc?.["x-topo"]?.nodes;
  return nodes?.length ? Object.fromEntries(nodes.map((n) => [n.name, n.image ?? ""])) : undefined;
}

export interface ComposeSourceOptions {
  docker?: string;
  /** Poll interval, a safety net beside `docker events`. */
  pollMs?: number;
}

export class ComposeSource implements DashboardSource {
  private readonly docker: string;
  private readonly listeners = new Set<(key: string) => void>();
  private eventsProc?: ChildProcess;
  private poll?: NodeJS.Timeout;
  private closed = false;
  private lastSignature = "";
  private readonly pollMs: number;
  private readonly stateWatchers = new Map<string, FSWatcher>();

  constructor(options: ComposeSourceOptions = {}) {
    this.docker = options.docker ?? process.env.TOPO_DOCKER ?? "docker";
    this.pollMs = options.pollMs ?? 5000;
  }

  private async containers(): Promise<Container[]> {
    const { stdout } = await run(this.docker, [
      "ps",
      "-a",
      "-q",
      "--no-trunc",
      "--filter",
      `label=${LABEL_TOPOLOGY}`,
    ]);
    const ids = stdout.split("\n").filter(Boolean);
    if (!ids.length) return [];
    const inspected = await run(this.docker, ["inspect", ...ids], { maxBuffer: 64 << 20 }).catch(
      // A container removed between ps and inspect: inspect still prints the others, and exits 1.
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? "[]" }),
    );
    return JSON.parse(inspected.stdout || "[]") as Container[];
  }

  /** state.json is written after the containers settle (a rollback's outcome): push when it changes. */
  private watchState(dir: string, key: string): void {
    if (this.closed || this.listeners.size === 0 || this.stateWatchers.has(dir)) return;
    try {
      const w = watch(dir, (_event, file) => {
        if (file === "state.json") this.emit(key);
      });
      w.on("error", () => {
        w.close();
        this.stateWatchers.delete(dir);
      });
      w.unref();
      this.stateWatchers.set(dir, w);
    } catch {
      // no such directory (yet): the poll still notices
    }
  }

  private async observeAll(): Promise<ObservedTopology[]> {
    const byTopology = new Map<string, Container[]>();
    for (const c of await this.containers()) {
      const t = c.Config.Labels[LABEL_TOPOLOGY]!;
      byTopology.set(t, [...(byTopology.get(t) ?? []), c]);
    }
    return Promise.all([...byTopology].map(([name, cs]) => this.observe(name, cs)));
  }

  private async observe(
    name: string,
    containers: Container[],
    withImages = false,
  ): Promise<ObservedTopology> {
    const file = containers
      .map((c) => c.Config.Labels[CONFIG_FILES])
      .find(Boolean)
      ?.split(",")[0];
    let doc: ComposeFile = {};
    let state: StateFile = {};
    let stateDir: string | undefined;
    if (file) {
      doc = (await readYaml<ComposeFile>(file)) ?? {};
      stateDir = stateDirOf(file);
      this.watchState(stateDir, `${LOCAL_NAMESPACE}/${name}`);
      try {
        state = JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")) as StateFile;
      } catch {
        // no state file: a project started by hand
      }
    }
    const xtopo = doc["x-topo"] ?? {};
    const byNode = new Map<string, Container[]>();
    for (const c of containers) {
      const n = c.Config.Labels[LABEL_NODE] ?? c.Name.replace(/^\//, "");
      byNode.set(n, [...(byNode.get(n) ?? []), c]);
    }
    const declared: DeclaredNode[] = (xtopo.nodes ?? []).map((n) => ({
      name: n.name,
      image: n.image ?? byNode.get(n.name)?.[0]?.Config.Image ?? "",
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
    }));
    for (const [n, cs] of byNode)
      if (!declared.some((d) => d.name === n))
        declared.push({
          name: n,
          image: cs[0]!.Config.Image,
          replicas: cs.length,
          ports: [],
          env: [],
          connectsTo: [],
          dependsOn: [],
        });
    const nodes = declared.map((d) => {
      const cs = byNode.get(d.name) ?? [];
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
        image: cs[0]?.Config.Image ?? d.image,
        replicas: d.replicas,
        readyReplicas: ready,
        phase,
        message: cs
          .map((c) => `${c.Name.replace(/^\//, "")}: ${c.State.Health?.Status ?? c.State.Status}`)
          .join(", "),
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
        ...(state.revision !== undefined ? { revision: state.revision } : {}),
        ...(state.lastGoodRevision !== undefined ? { lastGoodRevision: state.lastGoodRevision } : {}),
        nodes,
        history: await Promise.all(
          (state.history ?? []).map(async (h) => {
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
    const mine = (await this.containers()).filter((c) => c.Config.Labels[LABEL_TOPOLOGY] === name);
    return mine.length ? toDetail(await this.observe(name, mine, true)) : undefined;
  }

  /** The engine's own record: `docker events` for the project's containers over the last hour. */
  async events(namespace: string, name: string): Promise<DashboardEvent[]> {
    if (namespace !== LOCAL_NAMESPACE) return [];
    const { stdout } = await run(this.docker, [
      "events",
      "--since",
      "1h",
      "--until",
      String(Math.floor(Date.now() / 1000)),
      "--filter",
      "type=container",
      "--filter",
      `label=${LABEL_TOPOLOGY}=${name}`,
      "--format",
      "{{json .}}",
    ]);
    const out: DashboardEvent[] = [];
    for (const line of stdout.split("\n").filter(Boolean)) {
      const e = JSON.parse(line) as {
        Action: string;
        time: number;
        timeNano?: number;
        Actor: { Attributes: Record<string, string> };
      };
      if (isProbe(e.Action)) continue;
      const attrs = e.Actor.Attributes;
      const node = attrs[LABEL_NODE];
      out.push({
        at: new Date(e.timeNano ? e.timeNano / 1e6 : e.time * 1000).toISOString(),
        type:
          e.Action.includes("unhealthy") || e.Action === "die" || e.Action === "oom" ? "Warning" : "Normal",
        reason: e.Action.replace(/^health_status: /, "Health "),
        message: `container ${attrs.name ?? ""} ${e.Action}${attrs.exitCode ? ` (exit ${attrs.exitCode})` : ""}`,
        object: `Container/${attrs.name ?? ""}`,
        ...(node ? { node } : {}),
      });
    }
    return out.reverse().slice(0, 200);
  }

  subscribe(onChange: (key: string) => void) {
    this.listeners.add(onChange);
    if (this.listeners.size === 1) this.watch();
    return () => {
      this.listeners.delete(onChange);
    };
  }

  private emit(key: string): void {
    for (const l of this.listeners) l(key);
  }

  /** `docker events` pushes container changes at once; a slow poll catches file edits (state.json). */
  private watch(): void {
    const start = () => {
      if (this.closed) return;
      const proc = spawn(
        this.docker,
        [
          "events",
          "--filter",
          "type=container",
          "--filter",
          `label=${LABEL_TOPOLOGY}`,
          "--format",
          "{{json .}}",
        ],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      this.eventsProc = proc;
      let buf = "";
      proc.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const line of lines.filter(Boolean)) {
          try {
            const e = JSON.parse(line) as { Action: string; Actor: { Attributes: Record<string, string> } };
            if (!isProbe(e.Action)) this.emit(`${LOCAL_NAMESPACE}/${e.Actor.Attributes[LABEL_TOPOLOGY]}`);
          } catch {
            // not JSON: ignore
          }
        }
      });
      proc.on("exit", () => setTimeout(start, 1000).unref());
    };
    start();
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
    this.eventsProc?.kill();
    for (const w of this.stateWatchers.values()) w.close();
    this.stateWatchers.clear();
  }
}
