// Benchmark: the operator converging N topologies × M nodes on the cluster KUBECONFIG points to, reported
// beside a baseline measured in the same run: a minimal client that server-side applies the very same
// rendered objects at the same concurrency (as many applies in flight as the operator's reconciles may
// hold together: the TOPO_APPLY_CONCURRENCY slots they share) and waits for the same Deployments to be
// Ready. TOPO_WORKERS and TOPO_APPLY_CONCURRENCY, when set, reach the operator (and the baseline) as they are.
//   Run: npm run bench:operator            (BENCH_TOPOLOGIES=200 BENCH_NODES=10 BENCH_ROUNDS=2 by default)
// Reports: converge time (operator / baseline), write calls (operator / objects + status writes), peak RSS
// of the compiled operator, started with the Node flags of the image's ENTRYPOINT and its ENV (BENCH_NODE_OPTIONS adds
// more, e.g. "--cpu-prof --cpu-prof-dir=DIR" for a profile), and its CPU time; the control plane's CPU over
// each phase (API server, etcd, controller manager, scheduler, kwok) and the machine's busy share, which
// say what the operator costs the API server beyond its own process; reconcile p50/p99 and queue
// latency p99 from its histograms; then a full resync of the converged Topologies (the operator started
// with TOPO_RESYNC_SECONDS=BENCH_RESYNC_SECONDS, default 60): its writes (0 expected) and CPU seconds
// beside the operator's idle CPU over the same time; the converged operator's memory by kind (anonymous,
// file pages, the V8 heap); and the heap its informer caches take per Topology
// (bench/cache-heap.ts, pooled strings beside the transforms alone). BENCH_BIN=PATH runs another build of
// bin.js (say, an older commit's, for a before/after) instead of compiling this tree into dist/.
// BENCH_PHASES=operator runs the operator's phase alone (no baseline, no ratio), to profile it; BENCH_KEEP=1
// leaves the last round's namespace in place.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { CacheHeap } from "./cache-heap.ts";
import { API_VERSION, FIELD_MANAGER, KIND, PLURAL } from "../operator/src/api/constants.ts";
import { parseTopology } from "../operator/src/api/parse.ts";
import { loadConfig } from "../operator/src/config.ts";
import { serverSideApply } from "../operator/src/kube/apply.ts";
import { KindWatch } from "../operator/src/kube/informer.ts";
import { request, resourcePath } from "../operator/src/kube/rest.ts";
import { renderKubernetes } from "../operator/src/render/k8s/index.ts";

const TOPOLOGIES = Number(process.env.BENCH_TOPOLOGIES ?? 200);
const NODES = Number(process.env.BENCH_NODES ?? 10);
// The operator's settings as it reads them (its defaults where unset).
const config = loadConfig();
const WORKERS = config.TOPO_WORKERS;
// The operator's reconciles share TOPO_APPLY_CONCURRENCY apply slots: the baseline applies as many at
// once, so that both hold the same number of writes in flight.
const CONCURRENCY = config.TOPO_APPLY_CONCURRENCY;
const ROOT = join(import.meta.dirname, "..");
const kc = new KubeConfig();
kc.loadFromDefault();

const spec = () => ({
  // The benchmark measures convergence, not the deadline: at 1,000 topologies the control plane here starts
  // the last pods over half an hour after the first, and with the default 90 s a revision whose pods came
  // late failed (a first revision has nothing to roll back to) and never turned Ready.
  rollout: { progressDeadlineSeconds: 3600 },
  nodes: [{ name: "hub", image: "registry.example/store:1", ports: [{ name: "tcp", port: 6379 }] }],
  generators: [
    {
      prefix: "c",
      count: NODES - 1,
      shape: "ring",
      template: { image: "registry.example/connector:1", ports: [{ name: "http", port: 8080 }] },
    },
  ],
});
const names = Array.from({ length: TOPOLOGIES }, (_, i) => `t${String(i).padStart(3, "0")}`);
const topologyObject = (ns: string, name: string) => ({
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { name, namespace: ns },
  spec: spec(),
});

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
  await request(kc, "POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
  return name;
}

/** Deletes a namespace and waits until it is gone: garbage-collecting thousands of objects takes the
 * control plane's CPU, which must not be charged to the run that comes next. After the run's last phase
 * nothing comes next, and the deletion goes on after the report (at 1,000 topologies it takes many
 * minutes). */
async function removeNamespace(ns: string, last: boolean): Promise<void> {
  // BENCH_KEEP=1 leaves the last round's objects in place, to inspect them (bench/cache-heap.ts NAMESPACE).
  if (last && process.env.BENCH_KEEP === "1") return void console.error(`kept namespace ${ns}`);
  await request(kc, "DELETE", `/api/v1/namespaces/${ns}`);
  if (last) return;
  await until(`namespace ${ns} deleted`, async () =>
    request(kc, "GET", `/api/v1/namespaces/${ns}`).then(
      () => false,
      (err: { code?: number }) => err.code === 404,
    ),
  );
  await settle();
}

/**
 * Waits until the control plane is quiet: its processes together below a fifth of a core over five
 * seconds (idle, they take a few hundredths), for at most ten minutes. The namespace is gone well before
 * the controller manager's garbage collector has worked through the deletions it saw, and that CPU must
 * not be charged to the phase that comes next (the first phase starts on a quiet cluster). Returns how
 * long it waited, in seconds.
 */
async function settle(): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = controlPlaneCpu();
    await new Promise((r) => setTimeout(r, 5000));
    const cores = controlPlaneSince(before).cpuSeconds / 5;
    if (cores < 0.2 || Date.now() - started > 600_000) {
      const seconds = Math.round((Date.now() - started) / 1000);
      console.error(JSON.stringify({ settled: { seconds, cores: +cores.toFixed(2) } }));
      return seconds;
    }
  }
}

/** The Dockerfile's lines from its last FROM on: the runtime stage the operator runs in. */
const RUNTIME_STAGE = (() => {
  const lines = readFileSync(join(ROOT, "Dockerfile"), "utf8").split("\n");
  return lines.slice(lines.findLastIndex((l) => l.startsWith("FROM ")));
})();

/** The Node flags the image starts the operator with (the Dockerfile's ENTRYPOINT), so RSS is the image's. */
function imageNodeFlags(): string[] {
  // BENCH_NODE_FLAGS replaces them, to measure other flags before they go into the image.
  if (process.env.BENCH_NODE_FLAGS !== undefined)
    return process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean);
  const line = RUNTIME_STAGE.find((l) => l.startsWith("ENTRYPOINT "));
  const argv = JSON.parse(line!.slice("ENTRYPOINT ".length)) as string[];
  return argv.slice(1, -1);
}

/** The ENV the image sets (NODE_ENV, MALLOC_ARENA_MAX), one KEY=VALUE a line, as the operator runs with it. */
function imageEnv(): Record<string, string> {
  return Object.fromEntries(
    RUNTIME_STAGE.filter((l) => l.startsWith("ENV ")).map((l) => {
      const kv = l.slice("ENV ".length).trim();
      return [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)];
    }),
  );
}

type Watched = KubernetesObject & { status?: Record<string, unknown>; spec?: { replicas?: number } };

/**
 * How many objects of a kind in `ns` are done, kept by a watch (an informer) rather than by listing them
 * every half second: a list of 10,000 Deployments is 46 MB, which took the API server about 5 s to
 * serve, back to back for the whole baseline, while the operator's phase listed 1,000 Topologies. Both
 * phases now wait the same way, and neither loads the control plane by waiting.
 */
async function countDone(
  ns: string,
  kind: { kind: string; apiVersion: string; plural: string },
  done: (obj: Watched) => boolean,
): Promise<{ count: () => number; stop: () => Promise<void> }> {
  const finished = new Set<string>();
  const watch = new KindWatch({
    kc,
    spec: kind,
    namespaces: [ns],
    watchdogMs: 120_000,
    onEvent: (event, obj) => {
      const name = obj.metadata?.name ?? "";
      if (event !== "delete" && done(obj as Watched)) finished.add(name);
      else finished.delete(name);
    },
  });
  await watch.start();
  return { count: () => finished.size, stop: () => watch.stop() };
}
const deploymentReady = (d: Watched) =>
  (d.status?.readyReplicas as number | undefined) === (d.spec?.replicas ?? 1);
const topologyReady = (t: Watched) => t.status?.phase === "Ready";
/** How long a phase may take to converge: half an hour, and more for more topologies (the control plane
 * here starts about five pods a second, so 10,000 pods take over half an hour alone). */
const WAIT_MS = Math.max(30, TOPOLOGIES * 0.15) * 60_000;
async function until(what: string, fn: () => Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function baseline(last: boolean): Promise<{
  seconds: number;
  /** When its last apply was answered. */
  appliedSeconds: number;
  writes: number;
  objects: number;
  applyP50Ms: number;
  applyP99Ms: number;
  controlPlane: ControlPlane;
}> {
  const ns = await namespace("bench-base");
  // The owners exist (no operator watches this namespace), so children carry the same owner references.
  const owners = new Map<string, string>();
  for (const name of names) {
    const t = await request<{ metadata: { uid: string } }>(
      kc,
      "POST",
      resourcePath("topo.dev/v1alpha1", "Topology", ns),
      {
        body: topologyObject(ns, name),
      },
    );
    owners.set(name, t.metadata.uid);
  }
  const objects = names.flatMap((name) => {
    const parsed = parseTopology(topologyObject(ns, name));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return renderKubernetes(parsed.topology).map((o) => ({
      ...o,
      metadata: {
        ...o.metadata,
        namespace: ns,
        ownerReferences: [
          {
            apiVersion: "topo.dev/v1alpha1",
            kind: "Topology",
            name,
            uid: owners.get(name)!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
    }));
  });
  const deployments = objects.filter((o) => o.kind === "Deployment").length;
  const ready = await countDone(
    ns,
    { kind: "Deployment", apiVersion: "apps/v1", plural: "deployments" },
    deploymentReady,
  );
  const started = Date.now();
  const cpuBefore = controlPlaneCpu();
  const latencies: number[] = [];
  await pool(objects, CONCURRENCY, async (o) => {
    const at = performance.now();
    // As the operator applies: the answer's metadata alone, which neither reads.
    await serverSideApply(kc, o as never, { fieldManager: FIELD_MANAGER, answer: "metadata" });
    latencies.push(performance.now() - at);
  });
  const appliedSeconds = (Date.now() - started) / 1000;
  await until("baseline Deployments Ready", async () => ready.count() === deployments);
  const seconds = (Date.now() - started) / 1000;
  const controlPlane = controlPlaneSince(cpuBefore);
  await ready.stop();
  await removeNamespace(ns, last);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  return {
    seconds,
    appliedSeconds,
    writes: objects.length,
    objects: objects.length,
    // One apply's round trip at this concurrency: what a reconcile's applies wait for, one wave of a kind.
    applyP50Ms: at(0.5),
    applyP99Ms: at(0.99),
    controlPlane,
  };
}

/** A histogram's cumulative bucket counts (every label set holding `filter` summed), by upper bound. */
function histogram(text: string, name: string, filter = ""): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const l of text.split("\n")) {
    if (!l.startsWith(`${name}_bucket{`) || !l.includes(filter)) continue;
    const le = /le="([^"]+)"/.exec(l)![1]!;
    const bound = le === "+Inf" ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(l.split(" ").at(-1)));
  }
  return buckets;
}

/** The observations a histogram gained between two scrapes. */
function since(later: Map<number, number>, earlier: Map<number, number>): Map<number, number> {
  return new Map([...later].map(([bound, count]) => [bound, count - (earlier.get(bound) ?? 0)]));
}

/** A quantile of a Prometheus histogram, interpolated within its bucket. */
function histogramQuantile(text: string | Map<number, number>, name: string, q: number): number {
  const buckets = typeof text === "string" ? histogram(text, name) : text;
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  let [lower, below] = [0, 0];
  for (const [bound, count] of sorted) {
    if (count >= q * total) {
      if (bound === Infinity) return lower; // above the largest bound: report the bound, as Prometheus does
      return lower + ((bound - lower) * (q * total - below)) / Math.max(count - below, 1);
    }
    [lower, below] = [bound, count];
  }
  return NaN;
}

/** utime + stime of a process, in seconds (clock ticks, 100 a second on Linux). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** The control plane's processes on this machine, as their comm names read (truncated to 15 characters). */
const CONTROL_PLANE = ["kube-apiserver", "etcd", "kube-controller", "kube-scheduler", "kwok"];

/**
 * CPU seconds so far of the control plane's processes here, by name (every process of that name: run
 * one cluster at a time), and of the machine as a whole (busy and total, from /proc/stat): what a phase
 * costs the API server beside its own client's CPU, and whether the machine was saturated.
 */
function controlPlaneCpu(): { byName: Record<string, number>; busy: number; total: number } {
  const byName: Record<string, number> = Object.fromEntries(CONTROL_PLANE.map((n) => [n, 0]));
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (comm in byName) byName[comm]! += cpuOf(Number(pid));
    } catch {
      // the process ended between the listing and the read
    }
  }
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const t = ticks.map(Number);
  const total = t.reduce((a, b) => a + b, 0) / 100;
  const idle = ((t[3] ?? 0) + (t[4] ?? 0)) / 100; // idle + iowait
  return { byName, busy: total - idle, total };
}

/** The control plane's CPU seconds between two readings, by process name, and the machine's busy share. */
function controlPlaneSince(before: ReturnType<typeof controlPlaneCpu>): ControlPlane {
  const after = controlPlaneCpu();
  const byName = Object.fromEntries(
    CONTROL_PLANE.map((n) => [n, +(after.byName[n]! - before.byName[n]!).toFixed(1)]),
  );
  return {
    cpuSeconds: +Object.values(byName)
      .reduce((a, b) => a + b, 0)
      .toFixed(1),
    byName,
    machineBusy: +((after.busy - before.busy) / (after.total - before.total)).toFixed(2),
  };
}

interface ControlPlane {
  /** CPU seconds of the API server, etcd, controller manager, scheduler and kwok over the phase. */
  cpuSeconds: number;
  byName: Record<string, number>;
  /** The machine's busy share over the phase (1 = every core busy all the time). */
  machineBusy: number;
}

function metric(text: string, name: string): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((s, l) => s + Number(l.trim().split(/\s+/).at(-1)), 0);
}

async function operator(
  objects: number,
  last: boolean,
): Promise<{
  seconds: number;
  appliedSeconds: number;
  /** When the last Deployment was Ready: the rest of `seconds` is the status catching up. */
  deploymentsReadySeconds: number;
  writes: number;
  statusWrites: number;
  /** Reconciles over the convergence (topo_reconcile_total). */
  reconciles: number;
  byKind: Record<string, number>;
  peakRssMiB: number;
  /** Where the converged operator's memory is (after the resync): see convergedMemory. */
  memory: Memory;
  cpuSeconds: number;
  /** Of which V8's garbage collector (prom-client's nodejs_gc_duration_seconds). */
  gcSeconds: number;
  nodeFlags: string[];
  reconcileP50Ms: number;
  reconcileP99Ms: number;
  queueLatencyP99Ms: number;
  applyP50Ms: number;
  applyP99Ms: number;
  resync: Resync;
  cacheHeap: CacheHeap;
  controlPlane: ControlPlane;
}> {
  const ns = await namespace("bench-op");
  const port = 18000 + Math.floor(Math.random() * 1000);
  // The compiled operator, as the image runs it (running the .ts sources adds Node's type stripper to the RSS).
  if (!process.env.BENCH_BIN)
    execFileSync(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: ROOT,
        stdio: "inherit",
      },
    );
  // The Topologies exist before the clock starts, as the baseline's owners do: both timed windows hold
  // the same work, the children applied and their pods Ready. The clock starts with the operator process.
  await pool(names, WORKERS, async (name) => {
    await request(kc, "POST", resourcePath("topo.dev/v1alpha1", "Topology", ns), {
      body: topologyObject(ns, name),
    });
  });
  const flags = imageNodeFlags();
  const ready = await countDone(ns, { kind: KIND, apiVersion: API_VERSION, plural: PLURAL }, topologyReady);
  // The Deployments too, to tell the control plane's pace from the operator's status lag behind it.
  const deploymentsReady = await countDone(
    ns,
    { kind: "Deployment", apiVersion: "apps/v1", plural: "deployments" },
    deploymentReady,
  );
  const started = Date.now();
  const cpuBefore = controlPlaneCpu();
  const bin = process.env.BENCH_BIN ?? join(ROOT, "dist/operator/src/cli/bin.js");
  const child = spawn(process.execPath, [...flags, bin, "operator"], {
    cwd: ROOT,
    env: {
      ...imageEnv(),
      ...process.env,
      // BENCH_NODE_OPTIONS, e.g. "--max-old-space-size=96", to measure with the heap sized to a memory limit.
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? "",
      TOPO_NAMESPACES: ns,
      TOPO_HTTP_PORT: String(port),
      TOPO_DASHBOARD_ENABLED: "false",
      TOPO_LOG_LEVEL: "warn",
      TOPO_RESYNC_SECONDS: String(RESYNC_SECONDS),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  await until(
    "operator ready",
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ?? false,
  );
  // When the last child was applied, to tell apply throughput from the wait for readiness that follows.
  let appliedAt: number | undefined;
  let deploymentsReadyAt: number | undefined;
  await until("every Topology Ready", async () => {
    if (deploymentsReadyAt === undefined && deploymentsReady.count() === TOPOLOGIES * NODES)
      deploymentsReadyAt = Date.now();
    if (appliedAt === undefined) {
      const text = await metrics();
      const applies = text
        .split("\n")
        .filter((l) => l.startsWith('topo_api_writes_total{verb="apply"'))
        .reduce((s, l) => s + Number(l.split(" ").at(-1)), 0);
      if (applies >= objects) appliedAt = Date.now();
    }
    return ready.count() === TOPOLOGIES;
  });
  const seconds = (Date.now() - started) / 1000;
  const controlPlane = controlPlaneSince(cpuBefore);
  await ready.stop();
  await deploymentsReady.stop();
  const appliedSeconds = ((appliedAt ?? Date.now()) - started) / 1000;
  const deploymentsReadySeconds = ((deploymentsReadyAt ?? Date.now()) - started) / 1000;
  const text = await metrics();
  const writes = metric(text, "topo_api_writes_total");
  const byKind = Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.startsWith("topo_api_writes_total{"))
      .map((l) => [l.slice(l.indexOf("{") + 1, l.indexOf("}")), Number(l.split(" ").at(-1))]),
  );
  const statusWrites = text
    .split("\n")
    .filter((l) => l.startsWith("topo_api_writes_total{") && l.includes("Topology/status"))
    .reduce((s, l) => s + Number(l.split(" ").at(-1)), 0);
  const reconciles = metric(text, "topo_reconcile_total");
  const cpuSeconds = cpuOf(child.pid!);
  const gcSeconds = +metric(text, "topo_process_nodejs_gc_duration_seconds_sum").toFixed(2);
  const reconcileP50Ms = histogramQuantile(text, "topo_reconcile_duration_seconds", 0.5) * 1000;
  const reconcileP99Ms = histogramQuantile(text, "topo_reconcile_duration_seconds", 0.99) * 1000;
  const queueLatencyP99Ms = histogramQuantile(text, "topo_workqueue_latency_seconds", 0.99) * 1000;
  // One apply's round trip, as the baseline's is measured (without the wait for a slot).
  const applies = histogram(text, "topo_api_write_duration_seconds", 'verb="apply"');
  const applyP50Ms = Math.round(histogramQuantile(applies, "", 0.5) * 1000);
  const applyP99Ms = Math.round(histogramQuantile(applies, "", 0.99) * 1000);
  const resync = await measureResync(child.pid!, metrics);
  // The caches' heap per Topology on these converged objects, pooled strings beside the transforms alone.
  const cacheHeap = JSON.parse(
    execFileSync(process.execPath, [join(ROOT, "bench/cache-heap.ts"), ns], { encoding: "utf8" }),
  ) as CacheHeap;
  const memory = convergedMemory(child.pid!, await metrics());
  // VmHWM: the peak resident set of the operator process over its whole life.
  const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0);
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]); // a --cpu-prof is written at exit
  await removeNamespace(ns, last);
  return {
    seconds,
    appliedSeconds,
    deploymentsReadySeconds,
    writes,
    statusWrites,
    reconciles,
    byKind,
    peakRssMiB: peakKiB / 1024,
    memory,
    cpuSeconds,
    gcSeconds,
    nodeFlags: flags,
    reconcileP50Ms,
    reconcileP99Ms,
    queueLatencyP99Ms,
    applyP50Ms,
    applyP99Ms,
    resync,
    cacheHeap,
    controlPlane,
  };
}

interface Memory {
  /** Resident now: anonymous memory (the V8 heap, malloc) and file pages (the node binary, mapped). */
  rssAnonMiB: number;
  rssFileMiB: number;
  /** V8's heap: what live objects use, and what it holds from the system. */
  heapUsedMiB: number;
  heapTotalMiB: number;
}

/** The operator's resident memory by kind (/proc/PID/status) beside its V8 heap (prom-client's gauges). */
function convergedMemory(pid: number, text: string): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
  return {
    rssAnonMiB: mib(kib("RssAnon") * 1024),
    rssFileMiB: mib(kib("RssFile") * 1024),
    heapUsedMiB: mib(metric(text, "topo_process_nodejs_heap_size_used_bytes")),
    heapTotalMiB: mib(metric(text, "topo_process_nodejs_heap_size_total_bytes")),
  };
}

interface Resync {
  reconciles: number;
  /** Of the resync's reconciles alone (none of them writes): the steady state's cost of a reconcile. */
  reconcileP50Ms: number;
  reconcileP99Ms: number;
  writes: number;
  seconds: number;
  cpuSeconds: number;
  /** The operator's CPU over as long a stretch before the resync, with nothing to reconcile. */
  idleCpuSeconds: number;
}

/**
 * The next full resync of the converged Topologies: the operator enqueues every key each
 * TOPO_RESYNC_SECONDS. Sampled every half second: the idle stretch before it (no reconcile at all), then
 * from the first sample that counts reconciles until the count has stood still for two seconds.
 */
async function measureResync(pid: number, metrics: () => Promise<string>): Promise<Resync> {
  const sample = async () => {
    const text = await metrics();
    return {
      at: Date.now(),
      cpu: cpuOf(pid),
      reconciles: metric(text, "topo_reconcile_total"),
      writes: metric(text, "topo_api_writes_total"),
      durations: histogram(text, "topo_reconcile_duration_seconds"),
    };
  };
  const sleep = () => new Promise((r) => setTimeout(r, 500));
  let idleFrom = await sample();
  let last = idleFrom;
  // Wait for the reconciles of the convergence itself to end, then for the resync to begin.
  for (;;) {
    await sleep();
    const s = await sample();
    if (s.reconciles - last.reconciles >= Math.min(TOPOLOGIES / 4, 50) && s.at - idleFrom.at > 3000) {
      const start = last;
      let end = s;
      let stillSince = s.at;
      for (;;) {
        await sleep();
        const t = await sample();
        if (t.reconciles !== end.reconciles) stillSince = t.at;
        end = t;
        if (t.at - stillSince >= 2000) break;
      }
      const seconds = (end.at - start.at) / 1000;
      const idleRate = (start.cpu - idleFrom.cpu) / ((start.at - idleFrom.at) / 1000);
      const durations = since(end.durations, start.durations);
      const quantileMs = (q: number) => +(histogramQuantile(durations, "", q) * 1000).toFixed(1);
      return {
        reconciles: end.reconciles - start.reconciles,
        reconcileP50Ms: quantileMs(0.5),
        reconcileP99Ms: quantileMs(0.99),
        writes: end.writes - start.writes,
        seconds,
        cpuSeconds: +(end.cpu - start.cpu).toFixed(2),
        idleCpuSeconds: +(idleRate * seconds).toFixed(2),
      };
    }
    if (s.reconciles !== last.reconciles) idleFrom = s; // still converging (or requeued): not idle yet
    last = s;
  }
}

// Rounds in ABBA order (baseline then operator, then operator then baseline, ...): the control plane's
// state drifts over a run (etcd grows by every deleted object until it compacts), which would otherwise
// favour whichever phase runs first. The ratio is of the mean times.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const RESYNC_SECONDS = Number(process.env.BENCH_RESYNC_SECONDS ?? 60);
const OBJECTS = TOPOLOGIES * NODES * 3; // a Deployment, a Service and a NetworkPolicy per node
const bases: Awaited<ReturnType<typeof baseline>>[] = [];
const ops: Awaited<ReturnType<typeof operator>>[] = [];
// Each phase as it ends, so a run cut short still says what it measured.
const phase = async <T>(what: string, run: Promise<T>): Promise<T> => {
  const result = await run;
  const { byKind: _byKind, ...shown } = result as { byKind?: unknown };
  console.error(JSON.stringify({ [what]: shown, loadAverage: loadavg().map((l) => +l.toFixed(2)) }));
  return result;
};
await settle();
// BENCH_PHASES=operator: the operator's phase alone, each round, for profiling it (its memory over time, a
// --cpu-prof); it reports what the operator measured and no ratio, since there is no baseline to stand beside.
if (process.env.BENCH_PHASES === "operator") {
  for (let round = 0; round < ROUNDS; round++)
    ops.push(await phase("operator", operator(OBJECTS, round === ROUNDS - 1)));
  console.log(
    JSON.stringify({ topologies: TOPOLOGIES, nodesPerTopology: NODES, workers: WORKERS, ops }, null, 2),
  );
  process.exit(0);
}
for (let round = 0; round < ROUNDS; round++) {
  const last = round === ROUNDS - 1;
  if (round % 2 === 0) {
    bases.push(await phase("baseline", baseline(false)));
    ops.push(await phase("operator", operator(OBJECTS, last)));
  } else {
    ops.push(await phase("operator", operator(OBJECTS, false)));
    bases.push(await phase("baseline", baseline(last)));
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = { ...bases[0]!, seconds: mean(bases.map((b) => b.seconds)) };
const op = {
  ...ops[0]!,
  seconds: mean(ops.map((o) => o.seconds)),
  peakRssMiB: Math.max(...ops.map((o) => o.peakRssMiB)),
};
if (base.objects !== OBJECTS) throw new Error(`the baseline applied ${base.objects} objects, not ${OBJECTS}`);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
console.log(
  JSON.stringify(
    {
      topologies: TOPOLOGIES,
      nodesPerTopology: NODES,
      workers: WORKERS,
      baselineConcurrency: CONCURRENCY,
      rounds: ROUNDS,
      baseline: base,
      operator: op,
      perRound: bases.map((b, i) => ({
        baselineSeconds: b.seconds,
        operatorSeconds: ops[i]!.seconds,
        operatorAppliedSeconds: ops[i]!.appliedSeconds,
        operatorDeploymentsReadySeconds: ops[i]!.deploymentsReadySeconds,
        baselineAppliedSeconds: b.appliedSeconds,
        peakRssMiB: ops[i]!.peakRssMiB,
        memory: ops[i]!.memory,
        cpuSeconds: ops[i]!.cpuSeconds,
        gcSeconds: ops[i]!.gcSeconds,
        reconcileP50Ms: Math.round(ops[i]!.reconcileP50Ms),
        reconcileP99Ms: Math.round(ops[i]!.reconcileP99Ms),
        queueLatencyP99Ms: Math.round(ops[i]!.queueLatencyP99Ms),
        applyP50Ms: { operator: ops[i]!.applyP50Ms, baseline: bases[i]!.applyP50Ms },
        applyP99Ms: { operator: ops[i]!.applyP99Ms, baseline: bases[i]!.applyP99Ms },
        controlPlane: { operator: ops[i]!.controlPlane, baseline: bases[i]!.controlPlane },
        resync: ops[i]!.resync,
        cacheHeap: ops[i]!.cacheHeap,
      })),
      loadAverage: loadavg().map((l) => +l.toFixed(2)),
      convergeRatio: Number(ratio(op.seconds, base.seconds)),
      // Every write but status updates, over the objects the baseline applies (Events are the operator's
      // bookkeeping: one RolloutStarted per topology).
      writesRatio: Number(ratio(op.writes - op.statusWrites, base.objects)),
      appliesRatio: Number(
        ratio(
          Object.entries(op.byKind)
            .filter(([k]) => k.includes('verb="apply"'))
            .reduce((s, [, v]) => s + v, 0),
          base.objects,
        ),
      ),
      statusWritesPerTopology: Number(ratio(op.statusWrites, TOPOLOGIES)),
      targets: targets(),
    },
    null,
    2,
  ),
);

/** Each of issue 16's targets: the figure measured, the target, whether it is met, and what it stands beside. */
function targets() {
  const resync = ops.map((o) => o.resync);
  const writesRatio = (op.writes - op.statusWrites) / base.objects;
  const worst = (f: (o: (typeof ops)[number]) => number) => Math.max(...ops.map(f));
  // Judged at the precision the target is given in (1.03 is met by 1.033, as the table rounds it).
  const row = (value: number, target: number, beside: string) => ({
    value: +value.toFixed(2),
    target: `<= ${target}`,
    met: +value.toFixed(2) <= target,
    beside,
  });
  return {
    convergeRatio: row(
      op.seconds / base.seconds,
      1.1,
      `operator ${op.seconds.toFixed(1)} s / baseline ${base.seconds.toFixed(1)} s (${CONCURRENCY} applies in flight)`,
    ),
    writesRatio: row(
      writesRatio,
      1.03,
      `${op.writes - op.statusWrites} writes / ${base.objects} objects the baseline applies (+ ${op.statusWrites} status writes)`,
    ),
    peakRssMiB: row(op.peakRssMiB, 150, `Node flags ${op.nodeFlags.join(" ")}`),
    reconcileP99Ms: row(
      worst((o) => o.reconcileP99Ms),
      250,
      `p50 ${ops.map((o) => Math.round(o.reconcileP50Ms)).join(", ")} ms over the convergence (its first reconciles apply ${NODES * 3} objects each); of the resync's alone p50 ${resync.map((r) => r.reconcileP50Ms).join(", ")} ms, p99 ${resync.map((r) => r.reconcileP99Ms).join(", ")} ms; one apply of the operator p50 ${ops.map((o) => o.applyP50Ms).join(", ")} ms, p99 ${ops.map((o) => o.applyP99Ms).join(", ")} ms (topo_api_write_duration_seconds), of the baseline p50 ${bases.map((b) => b.applyP50Ms).join(", ")} ms, p99 ${bases.map((b) => b.applyP99Ms).join(", ")} ms`,
    ),
    queueLatencyP99Ms: {
      value: Math.round(worst((o) => o.queueLatencyP99Ms)),
      target: "reported",
      beside: `${TOPOLOGIES} keys queued at start on ${WORKERS} workers`,
    },
    resyncWrites: {
      value: Math.max(...resync.map((r) => r.writes)),
      target: "0",
      met: resync.every((r) => r.writes === 0),
      beside: resync
        .map(
          (r) =>
            `${r.reconciles} reconciles in ${r.seconds.toFixed(1)} s: ${r.cpuSeconds} CPU s vs ${r.idleCpuSeconds} idle over as long`,
        )
        .join("; "),
    },
  };
}
