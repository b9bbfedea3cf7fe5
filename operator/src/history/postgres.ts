// The PostgreSQL store (node-postgres, `pg`: pure JavaScript, the driver most Node code uses), for a
// hosted dashboard and an operator whose record must outlive its pod. A small pool; a server that does not
// answer fails a call within seconds (the operator's writer buffers and retries, see controller/history.ts).
import pg from "pg";
import { LATEST_VERSION, MIGRATIONS_TABLE, pending } from "./migrations.ts";
import { UPSERT_KINDS, type HistoryQuery, type HistoryRecord, type Retention } from "./record.ts";
import { recordToRow, rowToRecord, whereOf, type HistoryStore, type OpenOptions } from "./store.ts";

/** Serializes migrations of replicas that start at once (pg_advisory_xact_lock). */
const MIGRATION_LOCK = 7_404_001;
const COLUMNS = "target, namespace, topology, uid, kind, record_key, at, revision, node, data";

export async function openPostgresStore(url: string, options: OpenOptions = {}): Promise<HistoryStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 2,
    connectionTimeoutMillis: 5_000,
    query_timeout: 10_000,
    idleTimeoutMillis: 10_000,
  });
  // An idle client whose server went away emits here; without a listener it would end the process.
  pool.on("error", () => undefined);
  try {
    await migrate(pool, options.migrateTo ?? LATEST_VERSION);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const version = async () =>
    Number((await pool.query("SELECT MAX(version) AS v FROM topo_schema_migrations")).rows[0]?.v ?? 0);
  const hasRecordedAt = (await version()) >= 3;
  return {
    dialect: "postgres",
    async write(records: readonly HistoryRecord[]) {
      if (!records.length) return;
      const client = await pool.connect();
      const now = Date.now();
      try {
        await client.query("BEGIN");
        for (const r of records) {
          const args: unknown[] = recordToRow(r);
          if (hasRecordedAt) args.push(now);
          const marks = args.map((_, i) => `$${i + 1}`).join(", ");
          const onConflict = UPSERT_KINDS.has(r.kind)
            ? "UPDATE SET at = excluded.at, revision = excluded.revision, node = excluded.node, data = excluded.data"
            : "NOTHING";
          await client.query(
            `INSERT INTO history_records (${COLUMNS}${hasRecordedAt ? ", recorded_at" : ""}) VALUES (${marks})
               ON CONFLICT (uid, kind, record_key) DO ${onConflict}`,
            args,
          );
        }
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async query(q: HistoryQuery) {
      const { sql, args } = whereOf(q, (n) => `$${n}`);
      const inner = `SELECT * FROM history_records ${sql} ORDER BY at DESC, id DESC${q.limit ? ` LIMIT ${Math.floor(q.limit)}` : ""}`;
      const { rows } = await pool.query(`SELECT * FROM (${inner}) AS newest ORDER BY at, id`, args);
      return rows.map((row) => rowToRecord(row));
    },
    async lastPhases(uid: string) {
      const { rows } = await pool.query(
        `SELECT node, data FROM history_records WHERE id IN
           (SELECT MAX(id) FROM history_records WHERE uid = $1 AND kind = 'phase' GROUP BY node)`,
        [uid],
      );
      return new Map(rows.map((r) => [String(r.node), JSON.parse(r.data) as { phase: string; seq: number }]));
    },
    async prune(retention: Retention, now = new Date()) {
      let n =
        (await pool.query("DELETE FROM history_records WHERE at < $1", [now.getTime() - retention.maxAgeMs]))
          .rowCount ?? 0;
      if (retention.maxRecords !== undefined)
        n +=
          (
            await pool.query(
              `DELETE FROM history_records WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER
                 (PARTITION BY uid ORDER BY at DESC, id DESC) AS rn FROM history_records) AS ranked WHERE rn > $1)`,
              [retention.maxRecords],
            )
          ).rowCount ?? 0;
      return n;
    },
    schemaVersion: version,
    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}

/** Every pending migration in one transaction, behind an advisory lock, so two replicas never race. */
async function migrate(pool: pg.Pool, to: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(MIGRATIONS_TABLE);
    const current = Number(
      (await client.query("SELECT MAX(version) AS v FROM topo_schema_migrations")).rows[0]?.v ?? 0,
    );
    for (const m of pending(current, to)) {
      for (const sql of m.postgres) await client.query(sql);
      await client.query(
        "INSERT INTO topo_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        [m.version, m.name, Date.now()],
      );
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
