// The two databases every store test runs against: a SQLite file, and a fresh database on the real
// PostgreSQL server that hack/postgres.sh starts (once; later calls find it running).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

const ROOT = join(import.meta.dirname, "..", "..", "..");

/** Starts (or finds) a PostgreSQL server; `env` picks a private one (TOPO_POSTGRES_DIR, TOPO_POSTGRES_PORT). */
export function postgresUp(env: Record<string, string> = {}): string {
  return execFileSync(join(ROOT, "hack/postgres.sh"), ["up"], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .at(-1)!;
}

export function postgresStop(env: Record<string, string> = {}): void {
  execFileSync(join(ROOT, "hack/postgres.sh"), ["stop"], {
    env: { ...process.env, ...env },
    stdio: "inherit",
  });
}

export interface Database {
  name: "sqlite" | "postgres";
  /** A TOPO_HISTORY_URL for a new, empty database. */
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

export function sqliteDatabase(): Database {
  const dir = mkdtempSync(join(tmpdir(), "topo-history-"));
  let n = 0;
  return {
    name: "sqlite",
    fresh: async () => `sqlite:${join(dir, `history-${++n}.db`)}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Databases topo_test_<pid>_<n> on the server, dropped afterwards. */
export function postgresDatabase(server: string): Database {
  const created: string[] = [];
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    name: "postgres",
    async fresh() {
      const name = `topo_test_${process.pid}_${created.length + 1}`;
      await admin((c) =>
        c.query(`DROP DATABASE IF EXISTS ${name}`).then(() => c.query(`CREATE DATABASE ${name}`)),
      );
      created.push(name);
      return server.replace(/\/[^/]*$/, `/${name}`);
    },
    async cleanup() {
      await admin(async (c) => {
        for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}
