// `topo rollback FILE [--to N]` and `topo history FILE`: a rollback by hand on this machine starts the compose
// file kept for revision N (revisions/<n>/docker-compose.yml) with the same health gating as `topo up`, from
// images already here (no registry), and records the attempt; a later `topo up FILE` rolls forward again.
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { TASK_DEFAULTS } from "../api/constants.ts";
import type { Topology } from "../api/topology.ts";
import { loadSecretVariables } from "../config.ts";
import { UserError } from "../errors.ts";
import type { IoContext } from "../io.ts";
import { context, deploy, describeFailure, lastLogs, type Ctx } from "./runtime.ts";
import { parseEnvFile, resolveSecrets } from "./secrets.ts";
import {
  hashOf,
  StateStore,
  stateDir,
  type HistoryEntry,
  type LocalState,
  type PhaseChange,
} from "./state.ts";

interface ComposeService {
  image?: string;
  healthcheck?: unknown;
  deploy?: { replicas?: number };
  restart?: string;
}

/** The services of a kept compose file. */
function servicesOf(yaml: string): Record<string, ComposeService> {
  const doc = parse(yaml) as { services?: Record<string, ComposeService> } | null;
  return doc?.services ?? {};
}

export const imagesOf = (yaml: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(servicesOf(yaml)).flatMap(([name, s]) => (s.image ? [[name, s.image]] : [])),
  );

/**
 * The topology as revision N ran it, for the health gating: its services, their replicas and whether they
 * have a health check (all that `assess` reads of a node), with the rest of the file's own topology.
 */
function asRevision(topology: Topology, yaml: string): Topology {
  const own = new Map(topology.nodes.map((n) => [n.name, n]));
  const nodes = Object.entries(servicesOf(yaml)).map(([name, s]) => {
    const mine = own.get(name);
    return {
      ...(mine ?? { dependsOn: [], connectsTo: [], ports: [], env: [], volumes: [] }),
      name,
      image: s.image ?? mine?.image ?? "",
      replicas: s.deploy?.replicas ?? 1,
      health: s.healthcheck ? (mine?.health ?? { interval: "10s" }) : undefined,
      // A task (restart "no"): never run by a rollback, nor judged by its exited container.
      task: s.restart === "no" ? (mine?.task ?? { ...TASK_DEFAULTS }) : undefined,
    };
  });
  return { ...topology, nodes: nodes as unknown as Topology["nodes"] };
}

/** The state `topo up` keeps beside FILE, and the revisions whose compose file it keeps. */
function readLocal(ctx: IoContext, file: string, topology: Topology) {
  const store = new StateStore(stateDir(file, topology.name, ctx.env));
  const state = store.read();
  if (!state)
    throw new UserError(
      `${topology.name} has not been started here (no state in ${store.dir}); run \`topo up ${file}\``,
    );
  return { state, kept: keptRevisions(store), store };
}

/** Revisions whose compose file is kept in the state directory. */
const keptRevisions = (store: StateStore) =>
  store.revisions().filter((r) => existsSync(store.composeFile(r)));

/** The default target: the newest revision below the current one that ran healthy and is kept. */
export function previousGood(state: LocalState, kept: number[]): number | undefined {
  const good = new Set(state.history.filter((h) => h.outcome === "Succeeded").map((h) => h.revision));
  return [...kept].reverse().find((r) => r < state.revision && good.has(r));
}

/** Why revision `n` cannot be rolled back to, or undefined when it can. */
export function refusal(state: LocalState, kept: number[], n: number, limit: number): string | undefined {
  const keptList = kept.length ? kept.join(", ") : "none";
  const attempts = state.history.filter((h) => h.revision === n);
  if (!kept.includes(n))
    return n > Math.max(0, ...kept, ...state.history.map((h) => h.revision))
      ? `there is no revision ${n} (kept: ${keptList}); nothing was changed`
      : `revision ${n} is no longer kept (kept: ${keptList}; rollout.historyLimit is ${limit}); nothing was changed`;
  if (!attempts.some((h) => h.outcome === "Succeeded"))
    return `revision ${n} never ran healthy${attempts.length ? ` (${attempts.at(-1)!.outcome})` : ""}, so there is no good release to return to; nothing was changed`;
  return undefined;
}

/** Secret values the kept file interpolates: from the environment, the files beside FILE, or the last up. */
function secretsFor(c: Ctx, yaml: string): Record<string, string> {
  const needed = [...new Set([...yaml.matchAll(/\$\{(TOPO_SECRET_[A-Z0-9_]+)\}/g)].map((m) => m[1]!))];
  let current: Record<string, string> = {};
  try {
    current = resolveSecrets(c.topology, c.file, c.ctx.env);
  } catch {
    // The file's own secrets may be incomplete; only the revision's own ones matter here.
  }
  const saved = existsSync(c.store.secretsFile())
    ? parseEnvFile(readFileSync(c.store.secretsFile(), "utf8"))
    : {};
  const fromEnv = loadSecretVariables(needed, c.ctx.env);
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const v of needed) {
    const value = fromEnv[v] ?? current[v] ?? saved[v];
    if (value === undefined) missing.push(v);
    else values[v] = value;
  }
  if (missing.length)
    throw new UserError(
      `the kept release needs secret values that are not set: ${missing.join(", ")} (set them in the environment); nothing was changed`,
    );
  return values;
}

export async function rollback(
  ctx: IoContext,
  file: string,
  topology: Topology,
  to: number | undefined,
): Promise<number> {
  const requested = Date.now();
  // What is kept is on the disk: a request that cannot be met is refused before the engine is asked.
  const { state, kept, store } = readLocal(ctx, file, topology);
  const limit = topology.rollout.historyLimit;
  const target = to ?? previousGood(state, kept);
  if (target === undefined)
    throw new UserError(
      `${topology.name} has no good revision before revision ${state.revision} kept here (kept: ${kept.join(", ") || "none"}); nothing was changed`,
    );
  const refused = refusal(state, kept, target, limit);
  if (refused) throw new UserError(refused);

  const yaml = readFileSync(store.composeFile(target), "utf8");
  const c: Ctx = { ...(await context(ctx, file, topology)), topology: asRevision(topology, yaml) };
  const images = imagesOf(yaml);
  for (const [node, image] of Object.entries(images))
    if (!(await c.docker.hasImage(image)))
      throw new UserError(
        `node ${node}: image ${image} of revision ${target} is not on this machine (a rollback uses only images already here); nothing was changed`,
      );
  c.store.writeSecrets(secretsFor(c, yaml));
  const from = state.revision;
  ctx.stderr.write(
    `rolling back ${topology.name} from revision ${from} to revision ${target} with compose ${c.compose.version} (deadline ${topology.rollout.progressDeadlineSeconds}s)\n`,
  );
  const back: PhaseChange[] = [];
  const failure = await deploy(c, target, target !== from, { phases: back });
  const seconds = Math.round(Date.now() - requested) / 1000;
  const entry: HistoryEntry = {
    revision: target,
    hash: hashOf(yaml),
    outcome: failure ? "Failed" : "Succeeded",
    at: new Date().toISOString(),
    images,
    trigger: "manual",
    from,
    rollbackAt: new Date(requested).toISOString(),
    ...(failure ? { reason: `rolling back by hand failed: ${describeFailure(failure)}` } : {}),
    ...(failure ? {} : { recoverySeconds: seconds }),
    // Ready on the revision asked for is the node's RolledBack phase, as on Kubernetes.
    ...(back.length
      ? { phases: back.map((p) => (p.phase === "Ready" ? { ...p, phase: "RolledBack" } : p)) }
      : {}),
  };
  state.revision = target;
  if (!failure) state.lastGoodRevision = target;
  state.history.push(entry); // every rollback by hand, even to the revision that ran
  c.store.write(state, limit);
  if (!failure) {
    ctx.stdout.write(
      `${topology.name}: rolled back to revision ${target} (from revision ${from}); every node is healthy, ${seconds.toFixed(1)}s after the request. \`topo up ${file}\` rolls forward again\n`,
    );
    return 0;
  }
  const logs = failure.engine ? "" : await lastLogs(c, target, failure);
  if (logs) ctx.stderr.write(`  last log lines of ${failure.service}:\n${logs}\n`);
  throw new UserError(
    `rolling back to revision ${target} failed: ${describeFailure(failure)}; the project is left as it is (\`topo status ${file}\` shows it, \`topo rollback ${file} --to N\` tries another revision)`,
  );
}

/**
 * The history of `topo up` and `topo rollback` here, each entry with its images (from its kept file for an
 * entry recorded without them). Needs no Docker engine.
 */
export function history(
  ctx: IoContext,
  file: string,
  topology: Topology,
): { state: LocalState; kept: number[]; entries: HistoryEntry[] } {
  const { state, kept, store } = readLocal(ctx, file, topology);
  const entries = state.history.map((h) => {
    if (h.images || !kept.includes(h.revision)) return h;
    return { ...h, images: imagesOf(readFileSync(store.composeFile(h.revision), "utf8")) };
  });
  return { state, kept, entries };
}
