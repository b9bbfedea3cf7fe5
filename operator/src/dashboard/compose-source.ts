// The single-machine source: Topo's Compose projects on the local Docker engine. Containers carry
// topo.dev/* labels; the project's compose file carries the declared graph in its `x-topo` extension, and
// the state dir beside it may hold state.json (revision, lastGoodRevision, history).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { LABEL_NODE, LABEL_TOPOLOGY } from "../api/constants.ts";
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

interface StateFile {
  revision?: number;
  lastGoodRevision?: number;
  history?: { revision: number; outcome: string; at: string; reason?: string }[];
}

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

/** Topology-level phase from node phases and the state file's last outcome. */
function topologyPhase(phases: NodePhase[], state: StateFile): string {
  const last = state.history?.at(-1);
  if (last?.outcome === "RolledBack") return "RolledBack";
  if (phases.length && phases.every((p) => p === "Ready")) return "Ready";
  if (phases.some((p) => p === "Degraded")) return "Degraded";
  return "Progressing";
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

  private async observeAll(): Promise<ObservedTopology[]> {
    const byTopology = new Map<string, Container[]>();
    for (const c of await this.containers()) {
      const t = c.Config.Labels[LABEL_TOPOLOGY]!;
      byTopology.set(t, [...(byTopology.get(t) ?? []), c]);
    }
    return Promise.all([...byTopology].map(([name, cs]) => this.observe(name, cs)));
  }

  private async observe(name: string, containers: Container[]): Promise<ObservedTopology> {
    const file = containers
      .map((c) => c.Config.Labels[CONFIG_FILES])
      .find(Boolean)
      ?.split(",")[0];
    let xtopo: XTopo = {};
    let state: StateFile = {};
    if (file) {
      try {
        const doc = parseYaml(await readFile(file, "utf8")) as { "x-topo"?: XTopo } | null;
        xtopo = doc?.["x-topo"] ?? {};
      } catch {
        // compose file gone: draw what the containers say
      }
      const dir = dirname(file);
      for (const candidate of [join(dir, "state.json"), join(dir, ".topo", "state.json")]) {
        try {
          state = JSON.parse(await readFile(candidate, "utf8")) as StateFile;
          break;
        } catch {
          // no state file here
        }
      }
    }
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
      env: secretEnv(n.secretRefs),
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
        history: (state.history ?? []).map((h) => ({
          revision: h.revision,
          outcome: h.outcome,
          at: h.at,
          ...(h.reason ? { reason: h.reason } : {}),
        })),
      },
    };
  }

  async list() {
    return (await this.observeAll()).map(toSummary).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(namespace: string, name: string) {
    if (namespace !== LOCAL_NAMESPACE) return undefined;
    const t = (await this.observeAll()).find((o) => o.name === name);
    return t ? toDetail(t) : undefined;
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
            const e = JSON.parse(line) as { Actor: { Attributes: Record<string, string> } };
            this.emit(`${LOCAL_NAMESPACE}/${e.Actor.Attributes[LABEL_TOPOLOGY]}`);
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
  }
}
