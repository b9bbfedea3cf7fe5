// Benchmark: what the history store costs the operator, and how big a month of history is.
//   Run: npm run bench:history           (BENCH_TOPOLOGIES=10 copies of examples/connector-lab, 19 nodes each)
// 1. Write cost per reconcile: the operator (from source) converges BENCH_TOPOLOGIES copies of
//    connector-lab and rolls them all out once more, three times in the same run: without a store (the
//    baseline), with SQLite, and with PostgreSQL (hack/postgres.sh's server). Reported per reconcile: the
//    operator's CPU (process_cpu_seconds over topo_reconcile_total, after the buffer drained) and the
//    store's own write time (topo_history_write_duration_seconds), and the ratio to the baseline. The
//    database server's own CPU is not the operator's and is not counted.
// 2. One month of connector-lab at one rollout a day: the records the SQLite run wrote for one copy's
//    second rollout (revision, outcome, every node's phase changes, the Events of it and its children),
//    written 30 times a day apart into a new SQLite file; its size after VACUUM.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parse } from "yaml";
import type { HistoryRecord } from "../operator/src/history/record.ts";
import { openStore } from "../operator/src/history/store.ts";
import { request } from "../operator/src/kube/rest.ts";
import { postgresUp } from "../test/e2e/history/databases.ts";
import {
  applyTopology,
  counter,
  createNamespace,
  kube,
  readTopology,
  startOperator,
  topology,
  waitFor,
} from "../test/e2e/operator/harness.ts";

const COPIES = Number(process.env.BENCH_TOPOLOGIES ?? 10);
const ROOT = join(import.meta.dirname, "..");
const lab = parse(readFileSync(join(ROOT, "examples/connector-lab.yaml"), "utf8")) as {
  spec: { defaults: { image: string } };
};
const names = Array.from({ length: COPIES }, (_, i) => `lab-${i}`);
// A deadline no loaded machine misses: a revision judged failed would end the run's rollout early.
const specWith = (image: string) => ({
  ...lab.spec,
  defaults: { ...lab.spec.defaults, image },
  rollout: { progressDeadlineSeconds: 3600 },
});

async function allOn(ns: string, revision: number): Promise<void> {
  await waitFor(
    `${COPIES} topologies Ready on revision ${revision}`,
    async () => {
      const ts = await Promise.all(names.map((n) => readTopology(ns, n)));
      return ts.every((t) => t.status?.phase === "Ready" && t.status.revision === revision);
    },
    15 * 60_000,
    1000,
  );
}

interface Run {
  name: string;
  reconciles: number;
  cpuSeconds: number;
  records: number;
  writeSeconds: number;
  secondRolloutAt: string;
  url?: string;
}

async function run(name: string, url?: string): Promise<Run> {
  const ns = await createNamespace(`bench-hist-${name}`);
  const op = await startOperator({
    namespace: ns.name,
    env: {
      TOPO_LOG_LEVEL: "warn",
      TOPO_DASHBOARD_ENABLED: "false",
      ...(url ? { TOPO_HISTORY_URL: url } : {}),
    },
  });
  try {
    const cpu0 = counter(await op.metrics(), "topo_process_process_cpu_seconds_total");
    for (const n of names) await applyTopology(topology(ns.name, n, specWith("topo/testsvc:local")));
    await allOn(ns.name, 1);
    const secondRolloutAt = new Date().toISOString();
    for (const n of names) await applyTopology(topology(ns.name, n, specWith("topo/testsvc:bench-2")));
    await allOn(ns.name, 2);
    await waitFor(
      "the history buffer drained",
      async () => counter(await op.metrics(), "topo_history_buffered") === 0,
    );
    await new Promise((r) => setTimeout(r, 2000)); // the last Events of the rollout
    const m = await op.metrics();
    return {
      name,
      reconciles: counter(m, "topo_reconcile_total"),
      cpuSeconds: counter(m, "topo_process_process_cpu_seconds_total") - cpu0,
      records: counter(m, "topo_history_records_total"),
      writeSeconds: counter(m, "topo_history_write_duration_seconds_sum"),
      secondRolloutAt,
      ...(url ? { url } : {}),
    };
  } finally {
    await op.stop();
    await request(kube().kc, "DELETE", `/api/v1/namespaces/${ns.name}`).catch(() => undefined);
  }
}

async function month(
  url: string,
  since: string,
): Promise<{ perRollout: number; records: number; bytes: number; kinds: Record<string, number> }> {
  const source = await openStore(url);
  const one = (await source.query({ topology: "lab-0", since: new Date(since) })) as HistoryRecord[];
  await source.close();
  const dir = mkdtempSync(join(tmpdir(), "topo-bench-month-"));
  const file = join(dir, "history.db");
  const store = await openStore(`sqlite:${file}`);
  const day = 86_400_000;
  for (let d = 0; d < 30; d++)
    await store.write(
      one.map((r) => ({
        ...r,
        key: `${r.key}/day-${d}`,
        at: new Date(Date.parse(r.at) + d * day).toISOString(),
        ...(r.revision !== undefined ? { revision: r.revision + d } : {}),
      })),
    );
  await store.close();
  const db = new DatabaseSync(file);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.exec("VACUUM");
  const records = Number((db.prepare("SELECT COUNT(*) AS n FROM history_records").get() as { n: number }).n);
  db.close();
  const bytes = statSync(file).size;
  rmSync(dir, { recursive: true, force: true });
  const kinds: Record<string, number> = {};
  for (const r of one) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  return { perRollout: one.length, records, bytes, kinds };
}

const dir = mkdtempSync(join(tmpdir(), "topo-bench-history-"));
const pg = postgresUp();
const dbName = `bench_${process.pid}`;
const admin = new (await import("pg")).default.Client({ connectionString: pg });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
console.log(
  `history benchmark: ${COPIES} × connector-lab (19 nodes), created then rolled out once; load ${loadavg()[0]!.toFixed(1)}`,
);
const runs: Run[] = [];
try {
  runs.push(await run("none"));
  runs.push(await run("sqlite", `sqlite:${join(dir, "history.db")}`));
  runs.push(await run("postgres", pg.replace(/\/[^/]*$/, `/${dbName}`)));
  const base = runs[0]!;
  const perRec = (r: Run) => (r.cpuSeconds / r.reconciles) * 1000;
  for (const r of runs)
    console.log(
      `  ${r.name.padEnd(8)} reconciles ${String(r.reconciles).padStart(5)}  operator CPU ${r.cpuSeconds.toFixed(2)} s = ${perRec(r).toFixed(2)} ms/reconcile (x${(perRec(r) / perRec(base)).toFixed(2)} of no store)` +
        (r.url
          ? `  records ${r.records}, store writes ${((r.writeSeconds / r.reconciles) * 1000).toFixed(2)} ms/reconcile`
          : ""),
    );
  const m = await month(runs[1]!.url!, runs[1]!.secondRolloutAt);
  console.log(
    `one month of connector-lab at one rollout a day: ${m.perRollout} records per rollout (${Object.entries(
      m.kinds,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}), ${m.records} records, ${(m.bytes / 1024).toFixed(0)} KiB in SQLite after VACUUM`,
  );
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
