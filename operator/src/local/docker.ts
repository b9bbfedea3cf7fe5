// The Docker engine as `topo up` and the dashboard both see it: one `docker ps` + `inspect` reader that
// turns the engine's JSON into ContainerState, its event log and live stream, and one error for an
// engine that stopped answering (so a restart of dockerd is never mistaken for a failing release).
import { spawn, type ChildProcess } from "node:child_process";
import { ANNOTATION_CONFIG_HASH, LABEL_NODE, LABEL_TOPOLOGY } from "../api/constants.ts";
import { UserError } from "../errors.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output; never throws for a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const stdin = opts.input === undefined ? "ignore" : "pipe";
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: [stdin, "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => resolve({ code: 127, stdout, stderr: `${stderr}${err.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A child that exits before reading all of its input closes the pipe: EPIPE, which is not an error here.
    child.stdin?.on("error", () => undefined).end(opts.input);
  });
}

/** The last line a failed docker command printed: what it says about the engine. */
export const lastLine = (text: string) => (text.trim().split("\n").at(-1) ?? "").trim();

/** The engine did not answer (stopped, restarting, or the socket is gone): one line for the user. */
export class EngineUnavailableError extends UserError {
  override name = "EngineUnavailableError";
}

/** Labels Compose itself writes on every container of a project. */
export const COMPOSE_PROJECT = "com.docker.compose.project";
const COMPOSE_SERVICE = "com.docker.compose.service";
const COMPOSE_CONFIG_FILES = "com.docker.compose.project.config_files";

export interface ContainerState {
  id: string;
  name: string;
  /** The Compose project and service (Compose's labels). */
  project: string;
  service: string;
  /** The topology and node (Topo's labels; "" on a container Topo did not render). */
  topology: string;
  node: string;
  /** The compose files the project was started from (Compose's label), first the main one. */
  configFiles: string[];
  image: string;
  /** created, running, restarting, exited, dead, paused */
  status: string;
  exitCode: number;
  /**
   * healthy, unhealthy or starting while the container runs; "" without a health check and whenever it
   * does not run: the engine keeps the last status of a stopped container, which no longer says anything.
   */
  health: string;
  startedAt: string;
  createdAt: string;
  /** How often the engine restarted it (restart policy). */
  restartCount: number;
  /** The last failed health check's output, while it runs. */
  healthLog: string;
  /** A task's container: the configuration it runs (Topo's label), so an unchanged task is not run again. */
  configHash?: string;
}

/** The parts of `docker inspect` a ContainerState is made of. */
export interface InspectedContainer {
  Id: string;
  Name: string;
  RestartCount?: number;
  Created: string;
  Config: { Image: string; Labels: Record<string, string> | null };
  State: {
    Status: string;
    ExitCode?: number;
    StartedAt?: string;
    Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] };
  };
}

export function toContainerState(c: InspectedContainer): ContainerState {
  const labels = c.Config.Labels ?? {};
  const running = c.State.Status === "running";
  const log = running ? (c.State.Health?.Log ?? []) : [];
  const failed = [...log].reverse().find((l) => l.ExitCode !== 0);
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ""),
    project: labels[COMPOSE_PROJECT] ?? "",
    service: labels[COMPOSE_SERVICE] ?? "",
    topology: labels[LABEL_TOPOLOGY] ?? "",
    node: labels[LABEL_NODE] ?? "",
    configFiles: (labels[COMPOSE_CONFIG_FILES] ?? "").split(",").filter(Boolean),
    image: c.Config.Image,
    status: c.State.Status,
    exitCode: c.State.ExitCode ?? 0,
    health: running ? (c.State.Health?.Status ?? "") : "",
    startedAt: c.State.StartedAt ?? "",
    createdAt: c.Created,
    restartCount: c.RestartCount ?? 0,
    healthLog: failed?.Output.trim() ?? "",
    ...(labels[ANNOTATION_CONFIG_HASH] ? { configHash: labels[ANNOTATION_CONFIG_HASH] } : {}),
  };
}

/** What a person reads for one container: its health while it runs, else its state (exited, dead...). */
export const describeContainer = (c: Pick<ContainerState, "status" | "health">) => c.health || c.status;

/** Which containers: every label given (`key` or `key=value`) must match. */
export interface ContainerFilter {
  labels: string[];
}

export const projectFilter = (project: string): ContainerFilter => ({
  labels: [`${COMPOSE_PROJECT}=${project}`],
});
export const topologyFilter = (topology?: string): ContainerFilter => ({
  labels: [topology ? `${LABEL_TOPOLOGY}=${topology}` : LABEL_TOPOLOGY],
});

const filterArgs = (f: ContainerFilter) => f.labels.flatMap((l) => ["--filter", `label=${l}`]);

/** One event of the engine's container log (`docker events`). */
export interface EngineEvent {
  /** start, die, health_status: healthy, exec_create: ... */
  action: string;
  /** ms since the epoch */
  at: number;
  /** The container's labels and name, exitCode... as the engine reports them. */
  attributes: Record<string, string>;
}

function parseEvent(line: string): EngineEvent | undefined {
  try {
    const e = JSON.parse(line) as {
      Action: string;
      time: number;
      timeNano?: number;
      Actor?: { Attributes?: Record<string, string> };
    };
    return {
      action: e.Action,
      at: e.timeNano ? e.timeNano / 1e6 : e.time * 1000,
      attributes: e.Actor?.Attributes ?? {},
    };
  } catch {
    return undefined; // not JSON: a warning the CLI printed
  }
}

/**
 * A health check runs as an exec in the container: exec_create/exec_start/exec_die every interval. They
 * change nothing anyone watching a project sees (a changed health status is its own health_status event).
 */
export const isProbe = (action: string) => action.startsWith("exec_");

export interface DockerOptions {
  /** The docker CLI (LocalConfig's TOPO_DOCKER). */
  docker?: string;
  /** The environment the CLI runs with (DOCKER_HOST, DOCKER_CONFIG...). */
  env?: NodeJS.ProcessEnv;
}

/** The engine, through its CLI: every call uses the same binary and environment. */
export class Docker {
  readonly bin: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(options: DockerOptions = {}) {
    this.bin = options.docker ?? "docker";
    this.env = options.env ?? process.env;
  }

  run(args: string[], input?: string): Promise<RunResult> {
    return run(this.bin, args, { env: this.env, ...(input !== undefined ? { input } : {}) });
  }

  /** The engine's version, or why it does not answer (code 127: no CLI). */
  async info(): Promise<{ ok: true; version: string } | { ok: false; code: number; reason: string }> {
    const r = await this.run(["info", "--format", "{{.ServerVersion}}"]);
    return r.code === 0 && r.stdout.trim()
      ? { ok: true, version: r.stdout.trim() }
      : { ok: false, code: r.code, reason: lastLine(r.stderr) || lastLine(r.stdout) };
  }

  /** Every container that matches (running or not), straight from the engine. */
  async listContainers(filter: ContainerFilter): Promise<ContainerState[]> {
    const ids = await this.run(["ps", "-aq", "--no-trunc", ...filterArgs(filter)]);
    if (ids.code !== 0) throw new EngineUnavailableError(`docker ps failed: ${lastLine(ids.stderr)}`);
    return this.inspect(ids.stdout.split("\n").filter(Boolean));
  }

  /** The containers that still exist of `ids`: one removed since `ps` is left out, not an error. */
  async inspect(ids: string[]): Promise<ContainerState[]> {
    if (!ids.length) return [];
    const r = await this.run(["inspect", "--type", "container", ...ids]);
    // A container removed in between: inspect still prints the others, and exits 1. It prints `[]` for
    // an engine that does not answer too: only "No such ..." lines are the harmless case.
    const errors = r.stderr.split("\n").filter((l) => l.trim() && !/No such (container|object)/.test(l));
    if (r.code !== 0 && errors.length)
      throw new EngineUnavailableError(`docker inspect failed: ${lastLine(errors.join("\n"))}`);
    return (JSON.parse(r.stdout || "[]") as InspectedContainer[]).map(toContainerState);
  }

  /** The engine's record of container events between two times (ms), oldest first, without probes. */
  async events(filter: ContainerFilter, window: { since: number; until: number }): Promise<EngineEvent[]> {
    const r = await this.run([
      "events",
      "--since",
      String(Math.floor(window.since / 1000)),
      "--until",
      String(Math.floor(window.until / 1000)),
      "--filter",
      "type=container",
      ...filterArgs(filter),
      "--format",
      "{{json .}}",
    ]);
    if (r.code !== 0) throw new EngineUnavailableError(`docker events failed: ${lastLine(r.stderr)}`);
    return r.stdout
      .split("\n")
      .filter(Boolean)
      .map(parseEvent)
      .filter((e): e is EngineEvent => e !== undefined && !isProbe(e.action));
  }

  /**
   * Container events as they happen (probes left out). The stream ends when the engine stops; it is
   * started again a second later until the returned function is called.
   */
  watchEvents(filter: ContainerFilter, onEvent: (e: EngineEvent) => void): () => void {
    let stopped = false;
    let proc: ChildProcess | undefined;
    let retry: NodeJS.Timeout | undefined;
    const start = () => {
      if (stopped) return;
      const args = ["events", "--filter", "type=container", ...filterArgs(filter), "--format", "{{json .}}"];
      const child = spawn(this.bin, args, { env: this.env, stdio: ["ignore", "pipe", "ignore"] });
      proc = child;
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const line of lines) {
          const e = line ? parseEvent(line) : undefined;
          if (e && !isProbe(e.action)) onEvent(e);
        }
      });
      child.on("error", () => undefined); // no CLI: "exit" follows and the retry waits
      child.on("exit", () => {
        if (!stopped) (retry = setTimeout(start, 1000)).unref();
      });
    };
    start();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      proc?.kill();
    };
  }

  async hasImage(image: string): Promise<boolean> {
    return (await this.run(["image", "inspect", image])).code === 0;
  }

  pull(image: string): Promise<RunResult> {
    return this.run(["pull", "-q", image]);
  }

  /** The host ports the running containers that match publish. */
  async publishedPorts(filter: ContainerFilter): Promise<Set<number>> {
    const r = await this.run(["ps", ...filterArgs(filter), "--format", "{{.Ports}}"]);
    return new Set([...r.stdout.matchAll(/:(\d+)->/g)].map((m) => Number(m[1])));
  }
}
