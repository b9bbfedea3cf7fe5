import type { TopologyStatus } from "../api/schema.ts";
import type { HistoryRecord } from "../history/record.ts";
import { openStore, type HistoryStore } from "../history/store.ts";
import { HistoryRecorder, statusRecords } from "./history.ts";

const t = { namespace: "shop", name: "web", uid: "u-1" };
const at = new Date("2026-11-01T10:05:00.000Z");
const fresh = () => ({ phases: new Map(), written: new Map() });
const rolledBack: TopologyStatus = {
  revision: 2,
  lastGoodRevision: 1,
  nodes: [
    { name: "api", replicas: 1, readyReplicas: 0, phase: "Degraded" },
    { name: "db", replicas: 1, readyReplicas: 1, phase: "Ready" },
  ],
  history: [
    {
      revision: 1,
      images: { api: "api:1" },
      outcome: "Succeeded",
      at: "2026-11-01T10:00:00.000Z",
      generation: 1,
    },
    {
      revision: 2,
      images: { api: "api:2" },
      outcome: "RolledBack",
      reason: "CrashLoopBackOff on node api",
      at: "2026-11-01T10:03:00.000Z",
      generation: 2,
      rollbackAt: "2026-11-01T10:04:00.000Z",
      recoverySeconds: 12.5,
    },
  ],
};

describe("statusRecords", () => {
  it("reads revisions, outcomes, an automatic rollback with its recovery, and each node's phase", () => {
    const records = statusRecords(t, rolledBack, fresh(), at);
    const brief = records.map((r) => `${r.kind} ${r.key}`);
    expect(brief).toEqual([
      "revision 1@2026-11-01T10:00:00.000Z",
      "outcome 1@2026-11-01T10:00:00.000Z:Succeeded",
      "revision 2@2026-11-01T10:03:00.000Z",
      "outcome 2@2026-11-01T10:03:00.000Z:RolledBack",
      "rollback 2@2026-11-01T10:03:00.000Z",
      "phase api#1",
      "phase db#1",
    ]);
    expect(records.find((r) => r.kind === "rollback")).toMatchObject({
      at: "2026-11-01T10:04:00.000Z",
      data: { trigger: "automatic", from: 2, to: 1, recoverySeconds: 12.5 },
    });
  });

  it("writes nothing again for a status already recorded, and numbers a node's next phase", () => {
    const known = fresh();
    statusRecords(t, rolledBack, known, at);
    expect(statusRecords(t, rolledBack, known, at)).toEqual([]);
    const recovered = {
      ...rolledBack,
      nodes: rolledBack.nodes!.map((n) => ({ ...n, phase: "Ready" as const })),
    };
    expect(statusRecords(t, recovered, known, at)).toEqual([
      expect.objectContaining({
        kind: "phase",
        key: "api#2",
        node: "api",
        data: { phase: "Ready", from: "Degraded", seq: 2 },
      }),
    ]);
  });

  it("reads a rollback by hand: trigger manual, from the revision that ran, to the one pinned", () => {
    const manual: TopologyStatus = {
      history: [
        {
          revision: 1,
          images: {},
          outcome: "Succeeded",
          at: "2026-11-02T00:00:00.000Z",
          trigger: "manual",
          from: 3,
          rollbackAt: "2026-11-02T00:00:00.000Z",
        },
      ],
    };
    const records = statusRecords(t, manual, fresh(), at);
    expect(records.find((r) => r.kind === "revision")!.data).toMatchObject({
      trigger: "manual-rollback",
      from: 3,
    });
    expect(records.find((r) => r.kind === "rollback")!.data).toEqual({ trigger: "manual", from: 3, to: 1 });
  });
});

/** A store that fails while `down` is set. */
function flaky(store: HistoryStore) {
  const state = { down: false, writes: 0 };
  const wrapped: HistoryStore = {
    ...store,
    async write(records: readonly HistoryRecord[]) {
      state.writes++;
      if (state.down) throw new Error("connection refused");
      return store.write(records);
    },
    async lastPhases(uid: string) {
      if (state.down) throw new Error("connection refused");
      return store.lastPhases(uid);
    },
  };
  return { store: wrapped, state };
}

describe("HistoryRecorder", () => {
  let store: HistoryStore;
  beforeEach(async () => (store = await openStore("sqlite::memory:")));
  afterEach(() => store.close());

  it("returns at once while the store is down, retries, and writes everything once it is back", async () => {
    const f = flaky(store);
    f.state.down = true;
    const errors: unknown[] = [];
    const recorder = new HistoryRecorder({
      store: f.store,
      limit: 100,
      backoffMs: 5,
      onError: (e) => errors.push(e),
    });
    recorder.observe(t, rolledBack, at);
    recorder.observe(
      t,
      { ...rolledBack, nodes: [{ name: "api", replicas: 1, readyReplicas: 1, phase: "Ready" }] },
      at,
    );
    expect(await recorder.flush(100)).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
    f.state.down = false;
    expect(await recorder.flush(5_000)).toBe(true);
    const phases = (await store.query({ kinds: ["phase"] })).map(
      (r) => `${r.key} ${(r.data as { phase: string }).phase}`,
    );
    expect(phases).toEqual(["api#1 Degraded", "db#1 Ready", "api#2 Ready"]);
  });

  it("beyond its bound drops the oldest observations and counts them", async () => {
    const f = flaky(store);
    f.state.down = true;
    let dropped = 0;
    const recorder = new HistoryRecorder({
      store: f.store,
      limit: 2,
      backoffMs: 5,
      onDrop: (n) => (dropped += n),
    });
    for (const phase of ["Progressing", "Degraded", "Ready"] as const)
      recorder.observe(t, { nodes: [{ name: "api", replicas: 1, readyReplicas: 0, phase }] }, at);
    expect(dropped).toBe(1);
    f.state.down = false;
    expect(await recorder.flush(5_000)).toBe(true);
    expect((await store.query({ kinds: ["phase"] })).map((r) => (r.data as { phase: string }).phase)).toEqual(
      ["Degraded", "Ready"],
    );
  });

  it("a second recorder on the same store (a restart, a new leader) continues the count and repeats nothing", async () => {
    const first = new HistoryRecorder({ store, limit: 100 });
    first.observe(t, rolledBack, at);
    await first.flush();
    const second = new HistoryRecorder({ store, limit: 100 });
    second.observe(t, rolledBack, new Date(at.getTime() + 60_000));
    second.observe(
      t,
      { ...rolledBack, nodes: [{ name: "api", replicas: 1, readyReplicas: 1, phase: "Ready" }] },
      at,
    );
    await second.flush();
    const all = await store.query({});
    expect(all.filter((r) => r.kind === "revision")).toHaveLength(2);
    expect(all.filter((r) => r.kind === "outcome")).toHaveLength(2);
    expect(all.filter((r) => r.kind === "phase").map((r) => r.key)).toEqual(["api#1", "db#1", "api#2"]);
  });
});
