// The state directory of a topology on one machine: `.topo/<topology>/` beside the topology file (or under
// TOPO_STATE_DIR). It keeps the compose file of every revision it deployed, so a rollback needs nothing but
// the disk and the images already on the machine, and the secrets env file with mode 0600. `topo up` writes
// it; the dashboard reads it through the same schema and paths.
//   revisions/<n>/docker-compose.yml   what revision n ran (no secret values)
//   files/<node>-<hash>/<path>         a node's content files, with their modes, named by their content: kept
//                                      while a kept revision's compose file names them (a rollback needs them)
//   secrets.env                        TOPO_SECRET_* values for --env-file (0600)
//   secrets/<node>/<key>               the values of a node's secret files, with their modes (directory 0700)
//   state.json                         revision, lastGoodRevision, history (one entry per attempt)
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { loadLocalConfig } from "../local-config.ts";
import type { FileToWrite } from "../render/compose/index.ts";
import { UserError } from "../errors.ts";

export const Outcome = z.enum(["Succeeded", "Failed", "RolledBack"]);
export type Outcome = z.infer<typeof Outcome>;

/** One attempt to run a revision: `topo up` records every one, a retry of the same revision too. */
export const HistoryEntry = z.object({
  revision: z.number().int().min(1),
  /** The compose file's hash: the same hash is the same revision. */
  hash: z.string(),
  outcome: Outcome,
  at: z.string(),
  reason: z.string().optional(),
  /** node → image of the revision (a built node's content tag). */
  images: z.record(z.string(), z.string()).optional(),
  /** A built node → the image id its tag named when the revision ran (`docker build`'s, or the kept one). */
  imageIds: z.record(z.string(), z.string()).optional(),
  /** What started the attempt: `topo up` (spec, the default) or `topo rollback` (manual). */
  trigger: z.enum(["spec", "manual"]).optional(),
  /** A rollback by hand: the revision that ran before it. */
  from: z.number().int().min(0).optional(),
  /** When a rollback was asked for: `topo rollback` started, or the failed revision judged so by `topo up`. */
  rollbackAt: z.string().optional(),
  /** Seconds from rollbackAt to every node healthy on the revision rolled back to. */
  recoverySeconds: z.number().min(0).optional(),
  /**
   * Each node's phase changes while the attempt ran, in order: Progressing, Ready, Failed (the node that
   * failed it), and RolledBack (Ready again on the revision a rollback returned to).
   */
  phases: z.array(z.object({ node: z.string(), phase: z.string(), at: z.string() })).optional(),
});
export type PhaseChange = NonNullable<HistoryEntry["phases"]>[number];
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const LocalState = z.object({
  topology: z.string(),
  /** The topology file it was started from. */
  file: z.string(),
  /** The revision the project runs (or last tried to run); 0 before the first. */
  revision: z.number().int().min(0),
  lastGoodRevision: z.number().int().min(1).optional(),
  history: z.array(HistoryEntry),
});
export type LocalState = z.infer<typeof LocalState>;

/** Every path inside a state directory, in one place. */
export const statePaths = {
  state: (dir: string) => join(dir, "state.json"),
  secrets: (dir: string) => join(dir, "secrets.env"),
  revisions: (dir: string) => join(dir, "revisions"),
  revision: (dir: string, revision: number) => join(dir, "revisions", String(revision)),
  composeFile: (dir: string, revision: number) =>
    join(dir, "revisions", String(revision), "docker-compose.yml"),
  files: (dir: string) => join(dir, "files"),
  secretFiles: (dir: string) => join(dir, "secrets"),
};

/**
 * Where a revision's compose file finds the files: beside revisions/, the same relative path from every
 * revision, so Compose (1.29 hashes a bind mount's path) recreates only a service whose files changed.
 */
export const REVISION_FILE_DIRS = { filesDir: "../../files", secretsDir: "../../secrets" } as const;

/** The content directories (files/<node>-<hash>) a compose file names. */
function contentDirsOf(compose: string): string[] {
  return [...compose.matchAll(/\.\.\/\.\.\/files\/([^/\s"']+)\//g)].map((m) => m[1]!);
}

/** The state directory a project's compose file lives in (…/revisions/<n>/), or undefined: not topo up's. */
export function stateDirOfComposeFile(composeFile: string): string | undefined {
  const revisionDir = dirname(composeFile);
  const ok =
    basename(composeFile) === "docker-compose.yml" &&
    /^\d+$/.test(basename(revisionDir)) &&
    basename(dirname(revisionDir)) === "revisions";
  return ok ? dirname(dirname(revisionDir)) : undefined;
}

export function stateDir(
  topologyFile: string,
  topology: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const dir = loadLocalConfig(env).TOPO_STATE_DIR;
  const base = dir ? resolve(dir) : join(dirname(resolve(topologyFile)), ".topo");
  return join(base, topology);
}

export const hashOf = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);

/** A state.json that is there but not what `topo up` writes. */
export class StateFileError extends UserError {
  override name = "StateFileError";
}

/** Reads <dir>/state.json: undefined when there is none; a StateFileError when it is not valid. */
export function readState(dir: string): LocalState | undefined {
  const file = statePaths.state(dir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateFileError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(`${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = LocalState.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StateFileError(`${file}: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** Calls `onChange` whenever <dir>/state.json is written; undefined when the directory is not there. */
export function watchState(dir: string, onChange: () => void): FSWatcher | undefined {
  const name = basename(statePaths.state(dir));
  try {
    const w = watch(dir, (_event, file) => {
      if (file === name) onChange();
    });
    w.unref();
    return w;
  } catch {
    return undefined;
  }
}

/** A revision tried again and again keeps its latest attempts only. */
const ATTEMPTS_KEPT_PER_REVISION = 10;

/**
 * The history kept under `rollout.historyLimit`, which counts revisions: the attempts of the last
 * `limit` revisions that appear in it (at most ATTEMPTS_KEPT_PER_REVISION of each).
 */
export function trimHistory(history: HistoryEntry[], limit: number): HistoryEntry[] {
  const kept = new Map<number, number>();
  const out: HistoryEntry[] = [];
  for (const h of [...history].reverse()) {
    const n = kept.get(h.revision);
    if (n === undefined && kept.size >= limit) continue;
    if ((n ?? 0) >= ATTEMPTS_KEPT_PER_REVISION) continue;
    kept.set(h.revision, (n ?? 0) + 1);
    out.push(h);
  }
  return out.reverse();
}

/**
 * Adds one attempt's outcome. A check that finds the revision healthy again right after it was healthy
 * (`topo up` of an unchanged, running project) adds nothing: it is the same fact twice.
 */
export function recordAttempt(state: LocalState, entry: HistoryEntry): void {
  const last = state.history.at(-1);
  if (entry.outcome === "Succeeded" && last?.revision === entry.revision && last.outcome === "Succeeded")
    return;
  state.history.push(entry);
}

export class StateStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  read(): LocalState | undefined {
    return readState(this.dir);
  }

  /** Writes state.json at once (a reader never sees half of it) and prunes revisions out of the history. */
  write(state: LocalState, historyLimit: number): void {
    mkdirSync(this.dir, { recursive: true });
    const history = trimHistory(state.history, historyLimit);
    const file = statePaths.state(this.dir);
    writeFileSync(`${file}.tmp`, `${JSON.stringify({ ...state, history }, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    // Revisions that fell out of the history are removed, except the last good one.
    const keep = new Set([...history.map((h) => h.revision), state.lastGoodRevision, state.revision]);
    for (const r of this.revisions())
      if (!keep.has(r)) rmSync(this.revisionDir(r), { recursive: true, force: true });
    // Content files go with the last kept revision that names them.
    const files = statePaths.files(this.dir);
    if (!existsSync(files)) return;
    const named = new Set(
      this.revisions().flatMap((r) =>
        existsSync(this.composeFile(r)) ? contentDirsOf(readFileSync(this.composeFile(r), "utf8")) : [],
      ),
    );
    for (const d of readdirSync(files))
      if (!named.has(d)) rmSync(join(files, d), { recursive: true, force: true });
  }

  /**
   * Writes a revision's content files where its compose file points (files/<node>-<hash>/...), each with
   * its mode. A directory is named by its content: one that is there already is left as it is.
   */
  writeFiles(files: readonly FileToWrite[]): void {
    for (const f of files) {
      if (f.content === undefined) continue;
      const path = join(statePaths.files(this.dir), f.file);
      if (existsSync(path)) continue;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, f.content, { mode: 0o600 });
      chmodSync(`${path}.tmp`, f.mode);
      renameSync(`${path}.tmp`, path);
    }
  }

  /**
   * Writes the values of the secret files under secrets/ (0700, as each node's directory), each file with
   * its mode: never in a compose file, never in the project directory. A value is rewritten in place, so
   * a running container's bind mount reads the new one.
   */
  writeSecretFiles(files: readonly { file: string; value: string; mode: number }[]): void {
    const root = statePaths.secretFiles(this.dir);
    if (files.length === 0 && !existsSync(root)) return;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    chmodSync(root, 0o700);
    for (const f of files) {
      const path = join(root, f.file);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      if (existsSync(path)) chmodSync(path, 0o600);
      writeFileSync(path, f.value, { mode: 0o600 });
      chmodSync(path, f.mode);
    }
  }

  /** Removes the secret files (`topo down`): their values are not needed any more. */
  removeSecretFiles(): void {
    rmSync(statePaths.secretFiles(this.dir), { recursive: true, force: true });
  }

  revisions(): number[] {
    const d = statePaths.revisions(this.dir);
    return existsSync(d)
      ? readdirSync(d)
          .map(Number)
          .filter((n) => Number.isInteger(n))
          .sort((a, b) => a - b)
      : [];
  }

  revisionDir(revision: number): string {
    return statePaths.revision(this.dir, revision);
  }

  composeFile(revision: number): string {
    return statePaths.composeFile(this.dir, revision);
  }

  secretsFile(): string {
    return statePaths.secrets(this.dir);
  }

  writeRevision(revision: number, compose: string): string {
    mkdirSync(this.revisionDir(revision), { recursive: true });
    const file = this.composeFile(revision);
    writeFileSync(file, compose);
    return file;
  }

  /** The env file Compose interpolates secrets from: created with mode 0600, never world-readable. */
  writeSecrets(values: Record<string, string>): string {
    mkdirSync(this.dir, { recursive: true });
    const file = this.secretsFile();
    const body = Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    writeFileSync(file, body ? `${body}\n` : "", { mode: 0o600 });
    chmodSync(file, 0o600);
    return file;
  }
}
