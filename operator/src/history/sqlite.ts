// The SQLite store: Node 24's built-in node:sqlite (SQLite 3.5x compiled into node), so the default store
// needs no native add-on to build or download (better-sqlite3 would need node-gyp or a prebuilt binary
// fetched from GitHub, which this machine and many CI runners cannot reach). One file, WAL mode, so the
// dashboard reads while `topo up` writes; a busy timeout covers two writers at once.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { LATEST_VERSION, MIGRATIONS_TABLE, pending } from "./migrations.ts";
import { UPSERT_KINDS, type HistoryQuery, type HistoryRecord, type Retention } from "./record.ts";
import { recordToRow, rowToRecord, whereOf, type HistoryStore, type OpenOptions } from "./store.ts";

const COLUMNS = [
  "target",
  "namespace",
  "topology",
  "uid",
  "kind",
  "record_key",
  "at",
  "revision",
  "node",
  "data",
];
const UPDATE =
  "UPDATE SET at = excluded.at, revision = excluded.revision, node = excluded.node, data = excluded.data";

export function openSqliteStore(path: string, options: OpenOptions = {}): HistoryStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  // WAL with synchronous NORMAL: a commit appends to the log without an fsync (checkpoints sync), so a
  // write never stalls the operator's event loop on the disk; a power cut may lose the last commits, never
  // corrupt the file, and the operator replays statuses on start.
  if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  migrate(db, options.migrateTo ?? LATEST_VERSION);
  const version = () =>
    Number(
      (db.prepare("SELECT MAX(version) AS v FROM topo_schema_migrations").get() as { v: number | null }).v ??
        0,
    );
  // recorded_at exists from version 3; an older schema (the migration tests open one) is written without it.
  const hasRecordedAt = version() >= 3;
  const columns = hasRecordedAt ? [...COLUMNS, "recorded_at"] : COLUMNS;
  const insert = (upsert: boolean) =>
    db.prepare(
      `INSERT INTO history_records (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
         ON CONFLICT (uid, kind, record_key) DO ${upsert ? UPDATE : "NOTHING"}`,
    );
  let statements: { upsert: StatementSync; keep: StatementSync } | undefined; // prepared on first write
  let open = true;
  return {
    dialect: "sqlite",
    async write(records: readonly HistoryRecord[]) {
      if (!records.length) return;
      const now = Date.now();
      statements ??= { upsert: insert(true), keep: insert(false) };
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const r of records) {
          const args = recordToRow(r);
          (UPSERT_KINDS.has(r.kind) ? statements.upsert : statements.keep).run(
            ...(hasRecordedAt ? [...args, now] : args),
          );
        }
        db.exec("COMMIT");
      } catch (err) {
        db.exec("ROLLBACK");
        throw err;
      }
    },
    async query(q: HistoryQuery) {
      const { sql, args } = whereOf(q, () => "?");
      const inner = `SELECT * FROM history_records ${sql} ORDER BY at DESC, id DESC${q.limit ? ` LIMIT ${Math.floor(q.limit)}` : ""}`;
      const rows = db
        .prepare(`SELECT * FROM (${inner}) ORDER BY at, id`)
        .all(...(args as (string | number)[]));
      return rows.map((row) => rowToRecord(row as Record<string, unknown>));
    },
    async lastPhases(uid: string) {
      const rows = db
        .prepare(
          `SELECT node, data FROM history_records WHERE id IN
             (SELECT MAX(id) FROM history_records WHERE uid = ? AND kind = 'phase' GROUP BY node)`,
        )
        .all(uid) as { node: string; data: string }[];
      return new Map(rows.map((r) => [r.node, JSON.parse(r.data) as { phase: string; seq: number }]));
    },
    async prune(retention: Retention, now = new Date()) {
      let n = Number(
        db.prepare("DELETE FROM history_records WHERE at < ?").run(now.getTime() - retention.maxAgeMs)
          .changes,
      );
      if (retention.maxRecords !== undefined)
        n += Number(
          db
            .prepare(
              `DELETE FROM history_records WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER
                 (PARTITION BY uid ORDER BY at DESC, id DESC) AS rn FROM history_records) WHERE rn > ?)`,
            )
            .run(retention.maxRecords).changes,
        );
      return n;
    },
    async schemaVersion() {
      return version();
    },
    async close() {
      if (open) db.close();
      open = false;
    },
  };
}

/** Applies the pending migrations, each in its own immediate (write-locked) transaction. */
function migrate(db: DatabaseSync, to: number): void {
  db.exec(MIGRATIONS_TABLE);
  for (;;) {
    db.exec("BEGIN IMMEDIATE");
    try {
      const current = Number(
        (db.prepare("SELECT MAX(version) AS v FROM topo_schema_migrations").get() as { v: number | null })
          .v ?? 0,
      );
      const next = pending(current, to)[0];
      if (!next) {
        db.exec("COMMIT");
        return;
      }
      for (const sql of next.sqlite) db.exec(sql);
      db.prepare("INSERT INTO topo_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        next.version,
        next.name,
        Date.now(),
      );
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  }
}
