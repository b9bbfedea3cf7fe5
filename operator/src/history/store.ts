// The history store behind one interface, SQLite or PostgreSQL, chosen by TOPO_HISTORY_URL:
// `sqlite:PATH` (a file; `sqlite::memory:` for tests) or `postgres://…` / `postgresql://…`.
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.ts";
import type { HistoryQuery, HistoryRecord, Retention } from "./record.ts";

export interface HistoryStore {
  /** "sqlite" or "postgres", for logs and metrics. */
  readonly dialect: "sqlite" | "postgres";
  /** Writes every record in one transaction; a record whose key exists already is kept or replaced (UPSERT_KINDS). */
  write(records: readonly HistoryRecord[]): Promise<void>;
  /** Records matching the query, oldest first. */
  query(q: HistoryQuery): Promise<HistoryRecord[]>;
  /** Per node, the newest phase record of one topology: where a writer continues the count. */
  lastPhases(uid: string): Promise<Map<string, { phase: string; seq: number }>>;
  /** Deletes what the retention no longer keeps; returns how many rows. */
  prune(retention: Retention, now?: Date): Promise<number>;
  /** The applied schema version. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Migrate up to this version only (tests of the migrations); the latest by default. */
  migrateTo?: number;
}

/** The CLI's and `topo dashboard`'s default: one file in the user's state directory. */
export function defaultHistoryUrl(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return `sqlite:${join(state, "topo", "history.db")}`;
}

/** Checks the URL's scheme (config.ts validates with it). */
export function historyUrlProblem(url: string): string | undefined {
  if (/^sqlite:.+/.test(url) || /^postgres(ql)?:\/\//.test(url)) return undefined;
  return "must be sqlite:PATH or postgres://…";
}

export async function openStore(url: string, options: OpenOptions = {}): Promise<HistoryStore> {
  const problem = historyUrlProblem(url);
  if (problem) throw new ConfigError(`TOPO_HISTORY_URL ${problem}`);
  if (url.startsWith("sqlite:")) {
    const { openSqliteStore } = await import("./sqlite.ts");
    return openSqliteStore(url.slice("sqlite:".length), options);
  }
  const { openPostgresStore } = await import("./postgres.ts");
  return openPostgresStore(url, options);
}

/**
 * A store opened on first use and again after a failed open (a database not up yet when the operator
 * starts): every call fails until it opens, and the caller's retry opens it.
 */
export function openStoreLazily(url: string): HistoryStore {
  const problem = historyUrlProblem(url);
  if (problem) throw new ConfigError(`TOPO_HISTORY_URL ${problem}`);
  let opening: Promise<HistoryStore> | undefined;
  const store = () =>
    (opening ??= openStore(url).catch((err) => ((opening = undefined), Promise.reject(err))));
  return {
    dialect: url.startsWith("sqlite:") ? "sqlite" : "postgres",
    write: async (records) => (await store()).write(records),
    query: async (q) => (await store()).query(q),
    lastPhases: async (uid) => (await store()).lastPhases(uid),
    prune: async (retention, now) => (await store()).prune(retention, now),
    schemaVersion: async () => (await store()).schemaVersion(),
    close: async () => {
      if (opening) await (await opening.catch(() => undefined))?.close();
    },
  };
}

/** A record's column values, in the order both databases' INSERTs name them (recorded_at aside). */
export function recordToRow(r: HistoryRecord): (string | number | null)[] {
  return [
    r.target,
    r.namespace,
    r.topology,
    r.uid,
    r.kind,
    r.key,
    Date.parse(r.at),
    r.revision ?? null,
    r.node ?? null,
    JSON.stringify(r.data),
  ];
}

/** A row as both databases return it, to a record. */
export function rowToRecord(row: Record<string, unknown>): HistoryRecord {
  return {
    target: row.target as HistoryRecord["target"],
    namespace: String(row.namespace),
    topology: String(row.topology),
    uid: String(row.uid),
    kind: row.kind as HistoryRecord["kind"],
    key: String(row.record_key),
    at: new Date(Number(row.at)).toISOString(),
    ...(row.revision !== null && row.revision !== undefined ? { revision: Number(row.revision) } : {}),
    ...(row.node !== null && row.node !== undefined ? { node: String(row.node) } : {}),
    data: JSON.parse(String(row.data)),
  } as HistoryRecord;
}

/** The WHERE clause of a query, with `?` or `$n` placeholders. */
export function whereOf(
  q: HistoryQuery,
  placeholder: (n: number) => string,
): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    args.push(value);
    parts.push(sql.replace("?", placeholder(args.length)));
  };
  if (q.target) add("target = ?", q.target);
  if (q.namespace !== undefined) add("namespace = ?", q.namespace);
  if (q.topology !== undefined) add("topology = ?", q.topology);
  if (q.node !== undefined) add("(node = ? OR node IS NULL)", q.node);
  if (q.since) add("at >= ?", q.since.getTime());
  if (q.until) add("at <= ?", q.until.getTime());
  if (q.kinds?.length) {
    const marks = q.kinds.map((k) => {
      args.push(k);
      return placeholder(args.length);
    });
    parts.push(`kind IN (${marks.join(", ")})`);
  }
  return { sql: parts.length ? `WHERE ${parts.join(" AND ")}` : "", args };
}
