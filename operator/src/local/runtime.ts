// `topo up` / `down` / `status` / `logs`: the single-machine path. The same parsed topology the operator
// reads is rendered to a compose project (one per topology, named after it), started with the machine's
// Compose, watched until every service is healthy (or running, without a health check) by the rollout
// deadline, and rolled back to the compose file of the last good revision when it is not. An engine that
// stops answering meanwhile (dockerd restarted) fails the attempt without blaming the release: nothing is
// rolled back, the attempt is recorded, and the next `topo up` runs the same revision again.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { spawn } from "node:child_process";
import { UserError } from "../errors.ts";
import type { IoContext } from "../io.ts";
import { hostPortRange, type Topology } from "../api/topology.ts";
import { filesToWrite, renderComposeYaml, SecretVariableConflictError } from "../render/compose/index.ts";
import { detect, type Compose, type ProjectFiles } from "./compose.ts";
import {
  EngineUnavailableError,
  lastLine,
  projectFilter,
  type ContainerState,
  type Docker,
} from "./docker.ts";
import { buildImages, pruneBuiltImages, withBuiltImages } from "./build.ts";
import { resolveSecretFiles, resolveSecrets } from "./secrets.ts";
import {
  hashOf,
  recordAttempt,
  REVISION_FILE_DIRS,
  StateStore,
  stateDir,
  type HistoryEntry,
  type LocalState,
  type PhaseChange,
} from "./state.ts";
import { pendingTasks, runTasks, taskPhase } from "./tasks.ts";

export interface Failure {
  /** The node at fault: a compose service, or "compose" when compose itself failed. */
  service: string;
  reason: string;
  /** The engine stopped answering: no node is at fault. */
  engine?: true;
}

export interface Ctx {
  ctx: IoContext;
  compose: Compose;
  docker: Docker;
  topology: Topology;
  file: string;
  store: StateStore;
}

const OVERRIDE = "docker-compose.override.yml";

function project(c: Ctx, revision: number): ProjectFiles {
  const override = join(dirname(resolve(c.file)), OVERRIDE);
  return {
    name: c.topology.name,
    files: [c.store.composeFile(revision), ...(existsSync(override) ? [override] : [])],
    envFile: c.store.secretsFile(),
  };
}

export async function context(ctx: IoContext, file: string, topology: Topology): Promise<Ctx> {
  const compose = await detect(ctx.env);
  const store = new StateStore(stateDir(file, topology.name, ctx.env));
  return { ctx, compose, docker: compose.docker, topology, file, store };
}

const containersOf = (c: Ctx) => c.docker.listContainers(projectFilter(c.topology.name));

/** The failure to report when the engine no longer answers, else undefined. */
async function engineLost(c: Ctx, seen?: EngineUnavailableError): Promise<Failure | undefined> {
  const info = await c.docker.info();
  if (info.ok) return undefined;
  return {
    service: "",
    engine: true,
    reason: `the Docker engine stopped answering while topo up waited for health (${seen?.message ?? info.reason})`,
  };
}

export interface AssessOptions {
  /** Containers created before this time (ms) are not looked at: the previous revision's, being replaced. */
  judgeSince?: number;
  /** When this rollout began (ms): a container restarted since then is crash-looping in it. */
  rolloutSince?: number;
  /**
   * Whether a stopped or unhealthy container fails the rollout. Not while compose is still starting the
   * containers of a revision that is already there: it starts the exited ones again.
   */
  failures?: boolean;
}

/** Health of every service against the topology: done, a failure, or still waiting (with a summary). */
export function assess(
  topology: Topology,
  all: ContainerState[],
  options: AssessOptions = {},
): { ready: string[]; waiting: { service: string; state: string }[]; failure?: Failure } {
  const { judgeSince = 0, rolloutSince = judgeSince, failures = true } = options;
  const list = all.filter((c) => Date.parse(c.createdAt) >= judgeSince);
  const ready: string[] = [];
  const waiting: { service: string; state: string }[] = [];
  const stateOf = (c: ContainerState | undefined) =>
    !c ? "not created" : c.health ? `${c.status}, ${c.health}` : c.status;
  for (const node of topology.nodes) {
    // A task ran to completion before the rest (runTasks): its exited container is its success.
    if (node.replicas === 0 || node.task) continue;
    const mine = list.filter((c) => c.service === node.name);
    const looping = (c: ContainerState) => c.restartCount > 0 && Date.parse(c.startedAt) >= rolloutSince;
    const bad = mine.find(
      (c) => ["exited", "dead"].includes(c.status) || c.status === "restarting" || looping(c),
    );
    const sick = mine.find((c) => c.health === "unhealthy");
    const failure: Failure | undefined = bad
      ? {
          service: node.name,
          reason:
            bad.status === "restarting" || (looping(bad) && bad.status === "running")
              ? `its container keeps restarting (${bad.restartCount} restarts${bad.exitCode ? `, last exit code ${bad.exitCode}` : ""})`
              : `its container exited with code ${bad.exitCode}`,
        }
      : sick
        ? {
            service: node.name,
            reason: `its health check fails${sick.healthLog ? `: ${sick.healthLog.split("\n")[0]}` : ""}`,
          }
        : undefined;
    if (failure && failures) return { ready, waiting, failure };
    const ok = mine.filter((c) => c.status === "running" && (!node.health || c.health === "healthy"));
    if (ok.length >= node.replicas) ready.push(node.name);
    else waiting.push({ service: node.name, state: stateOf(bad ?? sick ?? mine[0]) });
  }
  return { ready, waiting };
}

/**
 * Which revision `topo up` runs. The same compose file as the revision on the machine is the same
 * revision: checked when it is the last good one, tried again when its last attempt failed (an engine
 * restart, say). Anything else is a new revision, numbered after every one kept or remembered.
 */
export function chooseRevision(
  state: LocalState,
  hash: string,
  kept: number[],
): { revision: number; verb: "starting" | "checking" | "retrying" } {
  const current = state.history.findLast((h) => h.revision === state.revision);
  if (current?.hash === hash)
    return {
      revision: state.revision,
      verb: state.lastGoodRevision === state.revision ? "checking" : "retrying",
    };
  return { revision: Math.max(0, ...kept, ...state.history.map((h) => h.revision)) + 1, verb: "starting" };
}

class Progress {
  private last = new Map<string, string>();
  private readonly phase = new Map<string, string>();
  private readonly o: IoContext;
  private readonly phases: PhaseChange[] | undefined;
  constructor(ctx: IoContext, phases?: PhaseChange[]) {
    this.o = ctx;
    this.phases = phases;
  }
  /** Records a node's phase when it changes (the history store's node phase transitions). */
  record(node: string, phase: string): void {
    if (!this.phases || this.phase.get(node) === phase) return;
    this.phase.set(node, phase);
    this.phases.push({ node, phase, at: new Date().toISOString() });
  }
  show(
    elapsed: number,
    deadline: number,
    ready: string[],
    waiting: { service: string; state: string }[],
  ): void {
    for (const w of waiting) this.record(w.service, "Progressing");
    for (const name of ready) this.record(name, "Ready");
    const total = ready.length + waiting.length;
    if (this.o.stderr.isTTY) {
      const detail = waiting
        .slice(0, 4)
        .map((w) => `${w.service} ${w.state}`)
        .join(" · ");
      this.o.stderr.write(
        `\r\x1b[K  ${ready.length}/${total} healthy  ${Math.round(elapsed)}s/${deadline}s  ${detail}`,
      );
      return;
    }
    for (const name of ready)
      if (this.last.get(name) !== "ready") {
        this.last.set(name, "ready");
        this.o.stderr.write(`  ${name}: healthy (${ready.length}/${total})\n`);
      }
    for (const w of waiting)
      if (this.last.get(w.service) !== w.state) {
        this.last.set(w.service, w.state);
        this.o.stderr.write(`  ${w.service}: ${w.state}\n`);
      }
  }
  end(): void {
    if (this.o.stderr.isTTY) this.o.stderr.write("\r\x1b[K");
  }
}

/**
 * Runs the revision's tasks that changed (`topo up`; a rollback runs none: a task's success in the
 * revision it returns to stands); resolves with the failure, or undefined when none failed.
 */
async function deployTasks(c: Ctx, revision: number): Promise<Failure | undefined> {
  try {
    const pending = pendingTasks(c.topology, await containersOf(c));
    if (!pending.length) return undefined;
    const failed = await runTasks({
      ctx: c.ctx,
      compose: c.compose,
      project: project(c, revision),
      topology: c.topology,
      tasks: pending,
      list: () => containersOf(c),
    });
    return failed && ((await engineLost(c)) ?? failed);
  } catch (err) {
    if (!(err instanceof EngineUnavailableError)) throw err;
    return (await engineLost(c, err)) ?? { service: "compose", reason: err.message };
  }
}

/**
 * Starts a revision and waits for it; resolves with the failure, or undefined when it is healthy.
 * `replacing`: another revision's containers are there (a new revision, a rollback), not this one's.
 * `runTasks`: the revision's tasks that changed run first, to completion (only `topo up` asks).
 */
export async function deploy(
  c: Ctx,
  revision: number,
  replacing: boolean,
  opts: { runTasks?: boolean; phases?: PhaseChange[] } = {},
): Promise<Failure | undefined> {
  const progress = new Progress(c.ctx, opts.phases);
  const failure = await deployWith(c, revision, replacing, opts, progress);
  if (failure && failure.service !== "compose" && !failure.engine) progress.record(failure.service, "Failed");
  return failure;
}

async function deployWith(
  c: Ctx,
  revision: number,
  replacing: boolean,
  opts: { runTasks?: boolean },
  progress: Progress,
): Promise<Failure | undefined> {
  const tasks = c.topology.nodes.filter((n) => n.task);
  if (opts.runTasks && tasks.length) {
    const failed = await deployTasks(c, revision);
    if (failed) return failed;
  }
  const deadlineS = c.topology.rollout.progressDeadlineSeconds;
  const started = Date.now();
  let upResult: { code: number; stderr: string } | undefined;
  // `up -d` itself waits on depends_on conditions, so it runs while we watch the containers. With tasks,
  // only the other services, without their dependencies: the tasks ran (or stand) already, and compose
  // would start a completed one again.
  const services = tasks.length ? c.topology.nodes.filter((n) => !n.task).map((n) => n.name) : [];
  const up = c.compose
    .run(project(c, revision), [
      "up",
      "-d",
      "--remove-orphans",
      ...(tasks.length ? ["--no-deps", ...services] : []),
    ])
    .then((r) => (upResult = r));
  try {
    for (;;) {
      let list: ContainerState[];
      try {
        list = await containersOf(c);
      } catch (err) {
        if (!(err instanceof EngineUnavailableError)) throw err;
        const lost = await engineLost(c, err);
        if (lost) return lost;
        await new Promise((r) => setTimeout(r, 400)); // it answers again: a hiccup, look again
        continue;
      }
      // Until `up` returns, the previous revision's containers may still be there: judge only new ones.
      // Checking a revision that is there already, its own containers are judged once compose is done.
      const since = started - 1000;
      const a = assess(
        c.topology,
        list,
        replacing
          ? { judgeSince: upResult ? 0 : since, rolloutSince: since }
          : { rolloutSince: since, failures: upResult !== undefined },
      );
      // A container stopped or compose cut off by an engine going away is not the release's fault.
      if (a.failure) return (await engineLost(c)) ?? a.failure;
      progress.show((Date.now() - started) / 1000, deadlineS, a.ready, a.waiting);
      if (upResult && upResult.code !== 0) {
        const svc = a.waiting[0]?.service ?? "compose";
        return (
          (await engineLost(c)) ?? { service: svc, reason: `compose up failed: ${lastLine(upResult.stderr)}` }
        );
      }
      if (upResult && a.waiting.length === 0) return undefined;
      if (Date.now() - started > deadlineS * 1000) {
        const w = a.waiting[0];
        return {
          service: w?.service ?? "compose",
          reason: w
            ? `not healthy within ${deadlineS}s (${w.state})`
            : `compose did not finish within ${deadlineS}s`,
        };
      }
      await new Promise((r) => setTimeout(r, 400));
    }
  } finally {
    progress.end();
    // Never leave compose running behind our back; it finishes quickly once its containers exist.
    await Promise.race([up, new Promise((r) => setTimeout(r, 15_000).unref())]);
  }
}

async function preflight(c: Ctx, previous: LocalState | undefined): Promise<void> {
  const images = new Map<string, string>();
  for (const n of c.topology.nodes) if (!images.has(n.image)) images.set(n.image, n.name);
  for (const [image, node] of images) {
    if (await c.docker.hasImage(image)) continue;
    const pulled = await c.docker.pull(image);
    if (pulled.code !== 0)
      throw new UserError(
        `node ${node}: image ${image} is not on this machine and cannot be pulled (${lastLine(pulled.stderr)}); nothing was started`,
      );
  }
  // Ports our own running project already publishes are not "in use" for us.
  const ownPorts = previous
    ? await c.docker.publishedPorts(projectFilter(c.topology.name))
    : new Set<number>();
  for (const n of c.topology.nodes)
    for (const p of n.ports) {
      // A replicated node publishes one host port per replica: every port of its range must be free.
      const range = hostPortRange(n, p);
      if (!range) continue;
      for (let port = range.first; port <= range.last; port++) {
        if (ownPorts.has(port) || (await portFree(port))) continue;
        const of = range.last > range.first ? ` (of ${range.first}-${range.last}, one per replica)` : "";
        throw new UserError(`node ${n.name}: host port ${port}${of} is already in use; nothing was started`);
      }
    }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const srv = createServer();
    srv.once("error", () => resolvePort(false));
    srv.listen({ port, host: "0.0.0.0", exclusive: true }, () => srv.close(() => resolvePort(true)));
  });
}

export async function lastLogs(c: Ctx, revision: number, failure: Failure): Promise<string> {
  const service = failure.service;
  if (failure.engine || !c.topology.nodes.some((n) => n.name === service)) return "";
  const r = await c.compose.run(project(c, revision), ["logs", "--no-color", "--tail", "15", service]);
  return (r.stdout + r.stderr)
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => `    ${l}`)
    .join("\n");
}

export async function up(ctx: IoContext, file: string, source: Topology): Promise<number> {
  const base = await context(ctx, file, source);
  // Nodes with build: built (or found, by their content tag) before anything is stopped; the revision's
  // compose file names their tags, so a rollback to it builds and pulls nothing.
  const built = await buildImages({
    docker: base.docker,
    topology: source,
    file,
    log: (line) => ctx.stderr.write(`${line}\n`),
  });
  const topology = withBuiltImages(source, built);
  const c: Ctx = { ...base, topology };
  let yaml: string;
  try {
    // For the Compose at hand: docker-compose 1.29 mounts content files as binds rather than configs.
    yaml = renderComposeYaml(topology, { compose: c.compose.version, ...REVISION_FILE_DIRS });
  } catch (err) {
    if (err instanceof SecretVariableConflictError) throw new UserError(err.message, { cause: err });
    throw err;
  }
  const hash = hashOf(yaml);
  const previous = c.store.read();
  const state: LocalState = previous ?? {
    topology: topology.name,
    file: resolve(file),
    revision: 0,
    history: [],
  };
  const { revision, verb } = chooseRevision(state, hash, c.store.revisions());
  const same = verb !== "starting";

  c.store.writeSecrets(resolveSecrets(topology, file, ctx.env));
  c.store.writeSecretFiles(resolveSecretFiles(topology, file, ctx.env));
  await preflight(c, previous);
  if (!same || !existsSync(c.store.composeFile(revision))) c.store.writeRevision(revision, yaml);
  c.store.writeFiles(filesToWrite(topology));
  const limit = topology.rollout.historyLimit;
  ctx.stderr.write(
    `${verb} ${topology.name} revision ${revision} with compose ${c.compose.version} (deadline ${topology.rollout.progressDeadlineSeconds}s)\n`,
  );
  const startedAt = Date.now();
  const phases: PhaseChange[] = [];
  const failure = await deploy(c, revision, !same, { runTasks: true, phases });
  const judgedAt = Date.now(); // a failure found now is the automatic rollback's request
  const attempt = (outcome: HistoryEntry["outcome"], reason?: string): HistoryEntry => ({
    revision,
    hash,
    outcome,
    at: new Date().toISOString(),
    images: Object.fromEntries(topology.nodes.map((n) => [n.name, n.image])),
    ...(built.length ? { imageIds: Object.fromEntries(built.map((b) => [b.node, b.id])) } : {}),
    ...(reason ? { reason } : {}),
    ...(phases.length ? { phases } : {}),
  });
  state.revision = revision;
  if (!failure) {
    state.lastGoodRevision = revision;
    recordAttempt(state, attempt("Succeeded"));
    c.store.write(state, limit);
    ctx.stdout.write(
      `${topology.name}: revision ${revision} is healthy (${topology.nodes.length} nodes, ${((Date.now() - startedAt) / 1000).toFixed(1)}s)\n`,
    );
    return 0;
  }

  const what = `revision ${revision} failed: ${describeFailure(failure)}`;
  if (failure.engine) {
    // Rolling back needs the engine too, and would blame a release for an outage: record it and stop.
    recordAttempt(state, attempt("Failed", what));
    c.store.write(state, limit);
    throw new UserError(
      `${what}; nothing was rolled back. The containers are as the engine keeps them (\`topo status ${file}\` shows them once it answers); \`topo up ${file}\` runs revision ${revision} again`,
    );
  }
  const logs = await lastLogs(c, revision, failure);
  ctx.stderr.write(`${what}\n${logs ? `  last log lines of ${failure.service}:\n${logs}\n` : ""}`);
  const good = state.lastGoodRevision;
  if (!topology.rollout.autoRollback || good === undefined || good === revision) {
    recordAttempt(state, attempt("Failed", what));
    c.store.write(state, limit);
    const why = !topology.rollout.autoRollback
      ? "autoRollback is off"
      : good === undefined
        ? "there is no earlier good revision"
        : "it is the last good revision";
    throw new UserError(
      `${what}; ${why}: the project is left as it is (\`topo status ${file}\` shows it, \`topo down ${file}\` removes it)`,
    );
  }
  ctx.stderr.write(`rolling back ${topology.name} to revision ${good}\n`);
  const back: PhaseChange[] = [];
  const again = await deploy(c, good, true, { phases: back });
  // Ready again on the revision rolled back to is the node's RolledBack phase, as on Kubernetes.
  phases.push(...back.map((p) => (p.phase === "Ready" ? { ...p, phase: "RolledBack" } : p)));
  const rollback = again
    ? `rolling back to revision ${good} failed too: ${describeFailure(again)}`
    : `rolled back to revision ${good}, which is healthy again`;
  state.revision = good;
  recordAttempt(state, {
    ...attempt("RolledBack", again ? `${what}; ${rollback}` : what),
    rollbackAt: new Date(judgedAt).toISOString(),
    ...(again ? {} : { recoverySeconds: Math.round(Date.now() - judgedAt) / 1000 }),
  });
  c.store.write(state, limit);
  throw new UserError(`${what}; ${rollback}`);
}

export const describeFailure = (f: Failure) => (f.engine ? f.reason : `service ${f.service}: ${f.reason}`);

export function requireState(c: Ctx): LocalState {
  const s = c.store.read();
  if (!s)
    throw new UserError(
      `${c.topology.name} has not been started here (no state in ${c.store.dir}); run \`topo up ${c.file}\``,
    );
  return s;
}

export async function down(
  ctx: IoContext,
  file: string,
  topology: Topology,
  volumes: boolean,
  opts: { pruneImages?: boolean } = {},
): Promise<number> {
  const c = await context(ctx, file, topology);
  const s = requireState(c);
  const r = await c.compose.run(project(c, s.revision), [
    "down",
    "--remove-orphans",
    ...(volumes ? ["--volumes"] : []),
  ]);
  if (r.code !== 0) throw new UserError(`compose down failed: ${r.stderr.trim().split("\n").at(-1)}`);
  c.store.writeSecrets({}); // the values are not needed any more; the revisions stay as history
  c.store.removeSecretFiles();
  ctx.stdout.write(
    `${topology.name}: stopped and removed${volumes ? " (volumes too)" : " (volumes kept; --volumes removes them)"}\n`,
  );
  if (opts.pruneImages) {
    const kept = new Set(c.store.revisions());
    const { removed, keptTags } = await pruneBuiltImages(
      c.docker,
      topology.name,
      s.history.filter((h) => kept.has(h.revision)),
    );
    ctx.stdout.write(
      `${topology.name}: removed ${removed.length} built image${removed.length === 1 ? "" : "s"} no kept revision uses${removed.length ? ` (${removed.join(", ")})` : ""}; kept ${keptTags}\n`,
    );
  }
  return 0;
}

export async function status(
  ctx: IoContext,
  file: string,
  topology: Topology,
  json: boolean,
): Promise<number> {
  const c = await context(ctx, file, topology);
  const s = c.store.read();
  const list = await containersOf(c);
  const rows = topology.nodes.map((n) => {
    const mine = list.filter((x) => x.service === n.name);
    const running = mine.filter((x) => x.status === "running").length;
    return {
      node: n.name,
      // A task's state is its phase, as on Kubernetes: an exited container is its outcome, not a fault.
      state: n.task
        ? taskPhase(mine)
        : mine.length
          ? [...new Set(mine.map((x) => x.status))].join(",")
          : "absent",
      health: mine.length ? [...new Set(mine.map((x) => x.health || "-"))].join(",") : "-",
      image: mine[0]?.image ?? n.image,
      replicas: `${running}/${n.replicas}`,
    };
  });
  const result = {
    topology: topology.name,
    revision: s?.revision ?? null,
    lastGoodRevision: s?.lastGoodRevision ?? null,
    history: s?.history ?? [],
    nodes: rows,
  };
  if (json) {
    ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  ctx.stdout.write(
    `${topology.name}: ${s ? `revision ${s.revision}${s.lastGoodRevision !== undefined ? ` (last good ${s.lastGoodRevision})` : ""}` : "not started here"} · compose ${c.compose.version}\n`,
  );
  const header = ["NODE", "STATE", "HEALTH", "REPLICAS", "IMAGE"];
  const table = [header, ...rows.map((r) => [r.node, r.state, r.health, r.replicas, r.image])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    ctx.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  return 0;
}

export async function logs(
  ctx: IoContext,
  file: string,
  topology: Topology,
  node: string | undefined,
  follow: boolean,
): Promise<number> {
  const c = await context(ctx, file, topology);
  const s = requireState(c);
  if (node && !topology.nodes.some((n) => n.name === node))
    throw new UserError(
      `${topology.name} has no node "${node}" (nodes: ${topology.nodes.map((n) => n.name).join(", ")})`,
    );
  const [cmd, ...args] = c.compose.command(project(c, s.revision), [
    "logs",
    "--no-color",
    ...(follow ? ["--follow"] : []),
    ...(node ? [node] : []),
  ]);
  return new Promise((resolveCode) => {
    const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"], env: ctx.env });
    child.stdout.on("data", (d: Buffer) => ctx.stdout.write(d.toString()));
    child.stderr.on("data", (d: Buffer) => ctx.stderr.write(d.toString()));
    child.on("close", (code) => resolveCode(code ?? 1));
  });
}
