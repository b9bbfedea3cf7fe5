// The store's schema as an ordered list of migrations, applied at start in one transaction each and
// recorded in topo_schema_migrations (version, name, applied_at). A small table rather than a library:
// three statements per version in two dialects, and the same code runs them on SQLite and PostgreSQL.
// Append only: a released migration is never edited, a change is a new version.

export interface Migration {
  version: number;
  name: string;
  sqlite: string[];
  postgres: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "history records",
    sqlite: [
      `CREATE TABLE history_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target TEXT NOT NULL, namespace TEXT NOT NULL, topology TEXT NOT NULL, uid TEXT NOT NULL,
        kind TEXT NOT NULL, record_key TEXT NOT NULL, at INTEGER NOT NULL,
        revision INTEGER, node TEXT, data TEXT NOT NULL,
        UNIQUE (uid, kind, record_key))`,
    ],
    postgres: [
      `CREATE TABLE history_records (
        id BIGSERIAL PRIMARY KEY,
        target TEXT NOT NULL, namespace TEXT NOT NULL, topology TEXT NOT NULL, uid TEXT NOT NULL,
        kind TEXT NOT NULL, record_key TEXT NOT NULL, at BIGINT NOT NULL,
        revision INTEGER, node TEXT, data TEXT NOT NULL,
        UNIQUE (uid, kind, record_key))`,
    ],
  },
  {
    version: 2,
    name: "time-range reads of one topology",
    sqlite: [`CREATE INDEX history_records_topology_at ON history_records (namespace, topology, at)`],
    postgres: [`CREATE INDEX history_records_topology_at ON history_records (namespace, topology, at)`],
  },
  {
    version: 3,
    name: "recorded_at: when a record was written (a buffered one later than it happened); reads by kind",
    sqlite: [
      `ALTER TABLE history_records ADD COLUMN recorded_at INTEGER`,
      `CREATE INDEX history_records_kind_at ON history_records (kind, at)`,
    ],
    postgres: [
      `ALTER TABLE history_records ADD COLUMN recorded_at BIGINT`,
      `CREATE INDEX history_records_kind_at ON history_records (kind, at)`,
    ],
  },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS topo_schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

/** The migrations above `current`, up to `to`, in order. */
export function pending(current: number, to = LATEST_VERSION): Migration[] {
  return MIGRATIONS.filter((m) => m.version > current && m.version <= to);
}
