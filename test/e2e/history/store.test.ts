// The history store's contract, the same suite on SQLite (node:sqlite) and a real PostgreSQL server:
// migrations from every earlier version, idempotent keys, time-range reads, retention.
import { LATEST_VERSION } from "../../../operator/src/history/migrations.ts";
import type { HistoryRecord } from "../../../operator/src/history/record.ts";
import { openStore, type HistoryStore } from "../../../operator/src/history/store.ts";
import { postgresDatabase, postgresUp, sqliteDatabase, type Database } from "./databases.ts";

const databases: Database[] = [sqliteDatabase(), postgresDatabase(postgresUp())];
afterAll(() => Promise.all(databases.map((d) => d.cleanup())));

const base = { target: "kubernetes", namespace: "shop", topology: "web", uid: "u-1" } as const;
const revision = (n: number, at: string): HistoryRecord => ({
  ...base,
  kind: "revision",
  key: `${n}@${at}`,
  at,
  revision: n,
  data: { images: { api: `api:${n}` }, trigger: "spec", generation: n },
});
const phase = (node: string, seq: number, p: string, at: string): HistoryRecord => ({
  ...base,
  kind: "phase",
  key: `${node}#${seq}`,
  at,
  node,
  data: { phase: p, seq },
});

describe.each(databases.map((d) => [d.name, d] as const))("the %s store", (_name, db) => {
  let store: HistoryStore;
  afterEach(() => store?.close());

  it("migrates a new database to the latest version, and a second open applies nothing", async () => {
    const url = await db.fresh();
    store = await openStore(url);
    expect(await store.schemaVersion()).toBe(LATEST_VERSION);
    await store.write([revision(1, "2026-11-01T10:00:00.000Z")]);
    await store.close();
    store = await openStore(url);
    expect(await store.schemaVersion()).toBe(LATEST_VERSION);
    expect(await store.query({})).toHaveLength(1);
  });

  it.each(Array.from({ length: LATEST_VERSION }, (_, v) => v))(
    "migrates up from version %i, keeping what that version held",
    async (from) => {
      const url = await db.fresh();
      const old = await openStore(url, { migrateTo: from });
      expect(await old.schemaVersion()).toBe(from);
      if (from >= 1) await old.write([revision(1, "2026-11-01T10:00:00.000Z")]);
      await old.close();
      store = await openStore(url);
      expect(await store.schemaVersion()).toBe(LATEST_VERSION);
      await store.write([revision(2, "2026-11-02T10:00:00.000Z")]);
      const revisions = (await store.query({ kinds: ["revision"] })).map((r) => r.revision);
      expect(revisions).toEqual(from >= 1 ? [1, 2] : [2]);
    },
  );

  it("two stores opening a new database at once both end on the latest version", async () => {
    const url = await db.fresh();
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    expect([await a.schemaVersion(), await b.schemaVersion()]).toEqual([LATEST_VERSION, LATEST_VERSION]);
    await Promise.all([a.close(), b.close()]);
    store = await openStore(url);
  });

  it("writing the same facts again (a restart, a failover, a retried batch) leaves one row each", async () => {
    store = await openStore(await db.fresh());
    const first = [
      revision(1, "2026-11-01T10:00:00.000Z"),
      phase("api", 1, "Ready", "2026-11-01T10:01:00.000Z"),
    ];
    await store.write(first);
    await store.write(first);
    // An outcome keeps the time it was first seen; a rollback gains its recovery time.
    const outcome = (at: string): HistoryRecord => ({
      ...base,
      kind: "outcome",
      key: "1@x:Failed",
      at,
      revision: 1,
      data: { outcome: "Failed" },
    });
    const rollback = (recoverySeconds?: number): HistoryRecord => ({
      ...base,
      kind: "rollback",
      key: "1@x",
      at: "2026-11-01T10:02:00.000Z",
      revision: 1,
      data: {
        trigger: "automatic",
        from: 2,
        to: 1,
        ...(recoverySeconds !== undefined ? { recoverySeconds } : {}),
      },
    });
    await store.write([outcome("2026-11-01T10:02:00.000Z"), rollback()]);
    await store.write([outcome("2026-11-01T10:05:00.000Z"), rollback(42.5)]);
    const all = await store.query({});
    expect(all.map((r) => r.kind).sort()).toEqual(["outcome", "phase", "revision", "rollback"]);
    expect(all.find((r) => r.kind === "outcome")!.at).toBe("2026-11-01T10:02:00.000Z");
    expect(all.find((r) => r.kind === "rollback")!.data).toEqual({
      trigger: "automatic",
      from: 2,
      to: 1,
      recoverySeconds: 42.5,
    });
  });

  it("reads a time range, by kind, by node (with the topology-wide records), the newest n", async () => {
    store = await openStore(await db.fresh());
    await store.write([
      revision(1, "2026-11-01T10:00:00.000Z"),
      phase("api", 1, "Progressing", "2026-11-01T10:00:01.000Z"),
      phase("db", 1, "Ready", "2026-11-01T10:00:02.000Z"),
      phase("api", 2, "Ready", "2026-11-01T10:00:03.000Z"),
      revision(2, "2026-11-02T10:00:00.000Z"),
      { ...revision(1, "2026-11-01T10:00:00.000Z"), topology: "other", uid: "u-2" },
    ]);
    const since = new Date("2026-11-01T10:00:01.000Z");
    const until = new Date("2026-11-01T10:00:03.000Z");
    const inRange = await store.query({ namespace: "shop", topology: "web", since, until });
    expect(inRange.map((r) => r.key)).toEqual(["api#1", "db#1", "api#2"]);
    const api = await store.query({ namespace: "shop", topology: "web", node: "api" });
    expect(api.map((r) => r.key)).toEqual([
      "1@2026-11-01T10:00:00.000Z",
      "api#1",
      "api#2",
      "2@2026-11-02T10:00:00.000Z",
    ]);
    expect(
      (await store.query({ kinds: ["revision"], topology: "web", limit: 1 })).map((r) => r.revision),
    ).toEqual([2]);
    expect(await store.lastPhases("u-1")).toEqual(
      new Map([
        ["api", { phase: "Ready", seq: 2 }],
        ["db", { phase: "Ready", seq: 1 }],
      ]),
    );
  });

  it("prunes by age, then keeps the newest n records of each topology", async () => {
    store = await openStore(await db.fresh());
    const day = (d: number) => `2026-11-${String(d).padStart(2, "0")}T00:00:00.000Z`;
    await store.write([1, 2, 3, 4, 5].map((d) => revision(d, day(d))));
    await store.write([{ ...revision(1, day(5)), uid: "u-2", topology: "other" }]);
    const now = new Date(day(6));
    expect(await store.prune({ maxAgeMs: 3.5 * 86_400e3 }, now)).toBe(2); // days 1 and 2
    expect(await store.prune({ maxAgeMs: 30 * 86_400e3, maxRecords: 2 }, now)).toBe(1); // day 3 of u-1
    const left = await store.query({});
    expect(left.map((r) => `${r.uid}:${r.revision}`)).toEqual(["u-1:4", "u-1:5", "u-2:1"]);
  });
});
