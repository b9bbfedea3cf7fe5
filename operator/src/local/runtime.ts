// `topo up` / `down` / `status` / `logs`: the single-machine path. The same parsed topology the operator
// reads is rendered to a compose project (one per topology, named after it), started with the machine's
// Compose, watched until every service is healthy (or running, without a health check) by the rollout
// deadline, and rolled back to the compose file of the last good revision when it is not.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { spawn } from "node:child_process";
import { UserError } from "../errors.ts";
import type { IoContext } from "../io.ts";
import type { Topology } from "../api/topology.ts";
import { renderComposeYaml, SecretVariableConflictError } from "../render/compose/index.ts";
import { containers, detect, run, type Compose, type ContainerState, type ProjectFiles } from "./engine.ts";
import { resolveSecrets } from "./secrets.ts";
import { hashOf, StateStore, stateDir, type LocalState } from "./state.ts";

export interface Failure {
  service: string;
  reason: string;
}

interface Ctx {
  ctx: IoContext;
  compose: Compose;
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
    envFile: join(c.store.dir, "secrets.env"),
  };
}

async function context(ctx: IoContext, file: string, topology: Topology): Promise<Ctx> {
  const compose = await detect(ctx.env);
  return { ctx, compose, topology, file, store: new StateStore(stateDir(file, topology.name, ctx.env)) };
}

/** Health of every service against the topology: done, a failure, or still waiting (with a summary). */
export function assess(
  topology: Topology,
  all: ContainerState[],
  /** While compose is still replacing containers, those created before this time (ms) are not judged. */
  judgeSince = 0,
  /** When this rollout began (ms): a container restarted since then is crash-looping in it. */
  rolloutSince = judgeSince,
): { ready: string[]; waiting: { service: string; state: string }[]; failure?: Failure } {
  const list = all.filter((c) => Date.parse(c.createdAt) >= judgeSince);
  const ready: string[] = [];
  const waiting: { service: string; state: string }[] = [];
  for (const node of topology.nodes) {
    if (node.replicas === 0) continue;
    const mine = list.filter((c) => c.service === node.name);
    const looping = (c: ContainerState) => c.restartCount > 0 && Date.parse(c.startedAt) >= rolloutSince;
    const bad = mine.find(
      (c) => ["exited", "dead"].includes(c.status) || c.status === "restarting" || looping(c),
    );
    if (bad)
      return {
        ready,
        waiting,
        failure: {
          service: node.name,
          reason:
            bad.status === "restarting" || (looping(bad) && bad.status === "running")
              ? `its container keeps restarting (${bad.restartCount} restarts${bad.exitCode ? `, last exit code ${bad.exitCode}` : ""})`
              : `its container exited with code ${bad.exitCode}`,
        },
      };
    const sick = mine.find((c) => c.health === "unhealthy");
    if (sick)
      return {
        ready,
        waiting,
        failure: {
          service: node.name,
          reason: `its health check fails${sick.healthLog ? `: ${sick.healthLog.split("\n")[0]}` : ""}`,
        },
      };
    const ok = mine.filter((c) => c.status === "running" && (!node.health || c.health === "healthy"));
    if (ok.length >= node.replicas) ready.push(node.name);
    else {
      const c = mine[0];
      waiting.push({
        service: node.name,
        state: !c ? "not created" : c.health ? `${c.status}, ${c.health}` : c.status,
      });
    }
  }
  return { ready, waiting };
}

class Progress {
  private last = new Map<string, string>();
  private readonly o: IoContext;
  constructor(ctx: IoContext) {
    this.o = ctx;
  }
  show(
    elapsed: number,
    deadline: number,
    ready: string[],
    waiting: { service: string; state: string }[],
  ): void {
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

/** Starts a revision and waits for it; resolves with the failure, or undefined when it is healthy. */
async function deploy(c: Ctx, revision: number): Promise<Failure | undefined> {
  const deadlineS = c.topology.rollout.progressDeadlineSeconds;
  const started = Date.now();
  const progress = new Progress(c.ctx);
  let upResult: { code: number; stderr: string } | undefined;
  // `up -d` itself waits on depends_on conditions, so it runs while we watch the containers.
  const up = c.compose
    .run(project(c, revision), ["up", "-d", "--remove-orphans"])
    .then((r) => (upResult = r));
  try {
    for (;;) {
      const list = await containers(c.compose.docker, c.topology.name);
      // Until `up` returns, the previous revision's containers may still be there: judge only new ones.
      const a = assess(c.topology, list, upResult ? 0 : started - 1000, started - 1000);
      if (a.failure) return a.failure;
      progress.show((Date.now() - started) / 1000, deadlineS, a.ready, a.waiting);
      if (upResult && upResult.code !== 0) {
        const lines = upResult.stderr.trim().split("\n");
        const svc = a.waiting[0]?.service ?? "compose";
        return { service: svc, reason: `compose up failed: ${lines.at(-1)}` };
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
    if ((await run(c.compose.docker, ["image", "inspect", image])).code === 0) continue;
    const pulled = await run(c.compose.docker, ["pull", "-q", image]);
    if (pulled.code !== 0)
      throw new UserError(
        `node ${node}: image ${image} is not on this machine and cannot be pulled (${pulled.stderr.trim().split("\n").at(-1)}); nothing was started`,
      );
  }
  // Ports our own running project already publishes are not "in use" for us.
  const ownPorts = previous ? await publishedPorts(c) : new Set<number>();
  for (const n of c.topology.nodes)
    for (const p of n.ports) {
      if (p.hostPort === undefined || ownPorts.has(p.hostPort)) continue;
      if (!(await portFree(p.hostPort)))
        throw new UserError(`node ${n.name}: host port ${p.hostPort} is already in use; nothing was started`);
    }
}

async function publishedPorts(c: Ctx): Promise<Set<number>> {
  const r = await run(c.compose.docker, [
    "ps",
    "--filter",
    `label=com.docker.compose.project=${c.topology.name}`,
    "--format",
    "{{.Ports}}",
  ]);
  return new Set([...r.stdout.matchAll(/:(\d+)->/g)].map((m) => Number(m[1])));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const srv = createServer();
    srv.once("error", () => resolvePort(false));
    srv.listen({ port, host: "0.0.0.0", exclusive: true }, () => srv.close(() => resolvePort(true)));
  });
}

async function lastLogs(c: Ctx, revision: number, service: string): Promise<string> {
  const r = await c.compose.run(project(c, revision), ["logs", "--no-color", "--tail", "15", service]);
  return (r.stdout + r.stderr)
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => `    ${l}`)
    .join("\n");
}

export async function up(ctx: IoContext, file: string, topology: Topology): Promise<number> {
  const c = await context(ctx, file, topology);
  let yaml: string;
  try {
    yaml = renderComposeYaml(topology);
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
  const current = state.history.findLast((h) => h.revision === state.revision);
  const unchanged = current?.hash === hash && state.lastGoodRevision === state.revision;
  const revision = unchanged
    ? state.revision
    : Math.max(0, ...c.store.revisions(), ...state.history.map((h) => h.revision)) + 1;

  c.store.writeSecrets(resolveSecrets(topology, file, ctx.env));
  await preflight(c, previous);
  if (!unchanged) c.store.writeRevision(revision, yaml);
  const limit = topology.rollout.historyLimit;
  ctx.stderr.write(
    `${unchanged ? "checking" : "starting"} ${topology.name} revision ${revision} with compose ${c.compose.version} (deadline ${topology.rollout.progressDeadlineSeconds}s)\n`,
  );
  const startedAt = Date.now();
  const failure = await deploy(c, revision);
  const now = new Date().toISOString();
  if (!failure) {
    state.revision = revision;
    state.lastGoodRevision = revision;
    if (!unchanged) state.history.push({ revision, hash, outcome: "Succeeded", at: now });
    c.store.write(state, limit);
    ctx.stdout.write(
      `${topology.name}: revision ${revision} is healthy (${topology.nodes.length} nodes, ${((Date.now() - startedAt) / 1000).toFixed(1)}s)\n`,
    );
    return 0;
  }

  const logs = await lastLogs(c, revision, failure.service);
  const what = `revision ${revision} failed: service ${failure.service}: ${failure.reason}`;
  ctx.stderr.write(`${what}\n${logs ? `  last log lines of ${failure.service}:\n${logs}\n` : ""}`);
  const good = state.lastGoodRevision;
  if (!topology.rollout.autoRollback || good === undefined || good === revision) {
    state.revision = revision;
    if (!unchanged) state.history.push({ revision, hash, outcome: "Failed", at: now, reason: what });
    c.store.write(state, limit);
    throw new UserError(
      `${what}; ${!topology.rollout.autoRollback ? "autoRollback is off" : "there is no earlier good revision"}: the project is left as it is (\`topo status ${file}\` shows it, \`topo down ${file}\` removes it)`,
    );
  }
  ctx.stderr.write(`rolling back ${topology.name} to revision ${good}\n`);
  state.history.push({ revision, hash, outcome: "RolledBack", at: now, reason: what });
  const again = await deploy(c, good);
  state.revision = good;
  c.store.write(state, limit);
  if (again)
    throw new UserError(
      `${what}; rolling back to revision ${good} failed too: service ${again.service}: ${again.reason}`,
    );
  throw new UserError(`${what}; rolled back to revision ${good}, which is healthy again`);
}

function requireState(c: Ctx): LocalState {
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
  ctx.stdout.write(
    `${topology.name}: stopped and removed${volumes ? " (volumes too)" : " (volumes kept; --volumes removes them)"}\n`,
  );
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
  const list = await containers(c.compose.docker, topology.name);
  const rows = topology.nodes.map((n) => {
    const mine = list.filter((x) => x.service === n.name);
    const running = mine.filter((x) => x.status === "running").length;
    return {
      node: n.name,
      state: mine.length ? [...new Set(mine.map((x) => x.status))].join(",") : "absent",
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
  const p = project(c, s.revision);
  const args = [
    ...c.compose.argv.slice(1),
    "-p",
    p.name,
    ...p.files.flatMap((f) => ["-f", f]),
    "--env-file",
    p.envFile!,
    "logs",
    "--no-color",
    ...(follow ? ["--follow"] : []),
    ...(node ? [node] : []),
  ];
  return new Promise((resolveCode) => {
    const child = spawn(c.compose.argv[0]!, args, { stdio: ["ignore", "pipe", "pipe"], env: ctx.env });
    child.stdout.on("data", (d: Buffer) => ctx.stdout.write(d.toString()));
    child.stderr.on("data", (d: Buffer) => ctx.stderr.write(d.toString()));
    child.on("close", (code) => resolveCode(code ?? 1));
  });
}
