// The operator's history on the real control plane and a real PostgreSQL server of its own (it is stopped
// here): a rollout, an automatic rollback and its recovery time recorded; a leader failover and a restart
// neither lose nor repeat a record; reconciling goes on while the database is down and the record
// catches up when it returns.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HistoryRecord } from "../../../operator/src/history/record.ts";
import { openStore, type HistoryStore } from "../../../operator/src/history/store.ts";
import { postgresStop, postgresUp } from "../history/databases.ts";
import {
  applyTopology,
  counter,
  createNamespace,
  freePort,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "./harness.ts";

const DEADLINE = 10;
const UNSCHEDULABLE = { cpu: "1000", memory: "64Mi" };
const web = (image: string, resources?: object) => ({
  nodes: [
    { name: "db", image: "db:1" },
    { name: "api", image, dependsOn: ["db"], ...(resources ? { resources } : {}) },
  ],
  // Only the revision meant to fail has the short deadline: a loaded machine may miss it for the others.
  rollout: { progressDeadlineSeconds: resources ? DEADLINE : 300 },
});

describe("the operator's history in PostgreSQL", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let pgEnv: Record<string, string>;
  let url: string;
  let store: HistoryStore;
  const running: OperatorProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    pgEnv = {
      TOPO_POSTGRES_DIR: mkdtempSync(join(tmpdir(), "topo-pg-")),
      TOPO_POSTGRES_PORT: String(await freePort()),
    };
    url = postgresUp(pgEnv);
    ns = await createNamespace("topo-hist");
    env = {
      TOPO_HISTORY_URL: url,
      TOPO_LEADER_ELECT: "true",
      TOPO_LEASE_NAMESPACE: ns.name,
      TOPO_LEASE_NAME: "topo-history",
      TOPO_LEASE_DURATION_SECONDS: "6",
      TOPO_RENEW_DEADLINE_SECONDS: "4",
      TOPO_RETRY_PERIOD_SECONDS: "1",
      TOPO_LOG_LEVEL: "info",
    };
    store = await openStore(url);
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop("SIGKILL")));
    await store?.close();
    await ns?.remove();
    postgresUp(pgEnv); // started again if a failure left it stopped, so down can stop it
    postgresStop(pgEnv);
    rmSync(pgEnv.TOPO_POSTGRES_DIR!, { recursive: true, force: true });
  });

  const leaderOf = async () =>
    waitFor("one leader", async () => {
      const live = running.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      const flags = await Promise.all(live.map(async (p) => counter(await p.metrics(), "topo_leader")));
      return flags.filter((f) => f === 1).length === 1 ? live[flags.indexOf(1)] : undefined;
    });
  const records = (kinds?: HistoryRecord["kind"][]) =>
    store.query({ namespace: ns.name, topology: "web", ...(kinds ? { kinds } : {}) });
  /** Waits until the store holds what `test` wants of this topology's records. */
  const recorded = (what: string, test: (r: HistoryRecord[]) => boolean, timeoutMs = 60_000) =>
    waitFor(
      what,
      async () => {
        const r = await records();
        return test(r) ? r : undefined;
      },
      timeoutMs,
    );
  const outcome = (r: HistoryRecord[], revision: number, o: string) =>
    r.some(
      (x) => x.kind === "outcome" && x.revision === revision && (x.data as { outcome: string }).outcome === o,
    );

  it("records a rollout, a rollback with its recovery time, and the nodes' phases", async () => {
    running.push(
      ...(await Promise.all([
        startOperator({ namespace: ns.name, env }),
        startOperator({ namespace: ns.name, env }),
      ])),
    );
    await leaderOf();
    await applyTopology(topology(ns.name, "web", web("api:1")));
    await waitForPhase(ns.name, "web", "Ready");
    await applyTopology(topology(ns.name, "web", web("api:2", UNSCHEDULABLE)));
    await waitForPhase(ns.name, "web", "RolledBack", (DEADLINE + 40) * 1000);
    const r = await recorded("the rollback's recovery", (r) =>
      r.some(
        (x) =>
          x.kind === "rollback" && (x.data as { recoverySeconds?: number }).recoverySeconds !== undefined,
      ),
    );
    expect(r.filter((x) => x.kind === "revision").map((x) => [x.revision, x.data])).toEqual([
      [1, expect.objectContaining({ images: { db: "db:1", api: "api:1" }, trigger: "spec", generation: 1 })],
      [2, expect.objectContaining({ images: { db: "db:1", api: "api:2" }, trigger: "spec", generation: 2 })],
    ]);
    expect(outcome(r, 1, "Succeeded") && outcome(r, 2, "RolledBack")).toBe(true);
    const rollback = r.find((x) => x.kind === "rollback")!;
    const t = await readTopology(ns.name, "web");
    const entry = (t.status!.history as { revision: number; recoverySeconds?: number }[]).find(
      (h) => h.revision === 2,
    )!;
    expect(rollback.data).toEqual({
      trigger: "automatic",
      from: 2,
      to: 1,
      recoverySeconds: entry.recoverySeconds,
    });
    // api was Ready on revision 1, then not (revision 2 never was), and its last record is its phase now.
    const api = r
      .filter((x) => x.kind === "phase" && x.node === "api")
      .map((x) => (x.data as { phase: string }).phase);
    expect(api.slice(api.indexOf("Ready")).some((p) => p !== "Ready")).toBe(true);
    expect(api.at(-1)).toBe(t.status!.nodes!.find((n) => n.name === "api")!.phase);
    // The operator's own Events of the Topology, kept with the rest.
    await recorded("the RolledBack Event", (r) =>
      r.some((x) => x.kind === "event" && (x.data as { reason: string }).reason === "RolledBack"),
    );
  });

  it("a leader failover and a restart neither lose nor repeat a record", async () => {
    const before = await records();
    const leader = await leaderOf();
    await leader.stop("SIGKILL");
    running.splice(running.indexOf(leader), 1);
    await applyTopology(topology(ns.name, "web", web("api:3")));
    await leaderOf(); // the other replica
    running.push(await startOperator({ namespace: ns.name, env })); // the killed one, restarted: a follower
    await waitFor(
      "revision 3 Ready",
      async () => {
        const t = await readTopology(ns.name, "web");
        return t.status?.phase === "Ready" && t.status.revision === 3;
      },
      90_000,
    );
    const r = await recorded("revision 3 Succeeded", (r) => outcome(r, 3, "Succeeded"));
    // Nothing recorded before is gone, and every fact is there once (keys are unique, so a repeat would be a
    // second row of another key: a phase numbered twice, or two outcomes of one kind for a revision).
    const keys = r.map((x) => `${x.kind}/${x.key}`);
    for (const x of before) expect(keys).toContain(`${x.kind}/${x.key}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(r.filter((x) => x.kind === "revision").map((x) => x.revision)).toEqual([1, 2, 3]);
    for (const node of ["api", "db"]) {
      const phases = r
        .filter((x) => x.kind === "phase" && x.node === node)
        .map((x) => x.data as { phase: string; seq: number });
      expect(phases.map((p) => p.seq)).toEqual(phases.map((_, i) => i + 1));
      phases.slice(1).forEach((p, i) => expect(p.phase).not.toBe(phases[i]!.phase));
    }
  });

  it("keeps reconciling while PostgreSQL is stopped, and catches up when it returns", async () => {
    const leader = await leaderOf();
    postgresStop(pgEnv);
    await applyTopology(topology(ns.name, "web", web("api:4")));
    await waitFor(
      "revision 4 Ready with the database down",
      async () => {
        const t = await readTopology(ns.name, "web");
        return t.status?.phase === "Ready" && t.status.revision === 4;
      },
      90_000,
    );
    const m = await waitFor("a failed write counted, the observations buffered", async () => {
      const m = await leader.metrics();
      return counter(m, "topo_history_write_failures_total") > 0 && counter(m, "topo_history_buffered") > 0
        ? m
        : undefined;
    });
    expect(counter(m, "topo_history_dropped_total")).toBe(0);
    postgresUp(pgEnv);
    const r = await recorded(
      "revision 4 Succeeded, written after the database returned",
      (r) => outcome(r, 4, "Succeeded"),
      90_000,
    );
    expect(r.filter((x) => x.kind === "revision").map((x) => x.revision)).toEqual([1, 2, 3, 4]);
    await waitFor(
      "the buffer empty",
      async () => counter(await leader.metrics(), "topo_history_buffered") === 0,
    );
  });
});
