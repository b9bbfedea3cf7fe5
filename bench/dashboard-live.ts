// Benchmark: the dashboard's live updates with 1,000 topologies in the overview. One topology's status
// changes in the source (what a status write does to the operator's informer), and the time is taken to
// the page showing its new phase in the overview, in headless Chromium; beside it, the size of the `change`
// message the server streams (only what changed) and of the whole list every message carried before
// (the baseline: the connect snapshot, which still carries the whole list). The server's 200 ms debounce
// is inside the time.
// Run: npm run bench:dashboard:live     (BENCH_TOPOLOGIES=1000, BENCH_ROUNDS=9)
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { toSummary } from "../operator/src/dashboard/model.ts";
import { serveDashboard } from "../operator/src/dashboard/server.ts";
import type { DashboardSource } from "../operator/src/dashboard/source.ts";
import type { TopologySummary } from "../operator/src/dashboard/types.ts";
import { ensureWebBuilt, launch, openPage } from "../test/e2e/dashboard/browser.ts";
import { generatedTopology, MEMORY_NAMESPACE } from "../test/e2e/dashboard/memory-source.ts";

const TOPOLOGIES = Number(process.env.BENCH_TOPOLOGIES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const observed = Array.from({ length: TOPOLOGIES }, (_, i) =>
  generatedTopology(`t${String(i).padStart(4, "0")}`, "linear", 3),
);
const summaries: TopologySummary[] = observed.map(toSummary);
const listeners = new Set<(key: string) => void>();
const source: DashboardSource = {
  list: async () => summaries,
  get: async () => undefined,
  events: async () => [],
  subscribe: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
};
/** A status write: the summary's phase changes and the source says which key changed. */
function write(i: number, phase: string): string {
  summaries[i] = { ...summaries[i]!, phase: phase as never };
  const key = `${MEMORY_NAMESPACE}/${summaries[i]!.name}`;
  for (const l of listeners) l(key);
  return key;
}

ensureWebBuilt();
const server = await serveDashboard({ source, port: 0, host: "127.0.0.1" });
const browser = await launch();
// The stream as a client reads it, for the size of each message.
const stream = new AbortController();
const sizes: { event: string; bytes: number }[] = [];
void fetch(`http://127.0.0.1:${server.port}/api/events`, { signal: stream.signal })
  .then(async (res) => {
    let buffered = "";
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let end;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        if (event) sizes.push({ event, bytes: Buffer.byteLength(block) + 2 });
      }
    }
  })
  .catch(() => undefined);
try {
  const page = await openPage(browser);
  await page.goto(`http://127.0.0.1:${server.port}/`);
  type Hook = { __topo: { phase(key: string): string | undefined } };
  const last = `${MEMORY_NAMESPACE}/${summaries.at(-1)!.name}`;
  await page.waitForFunction((k) => (window as unknown as Hook).__topo.phase(k) !== undefined, last, {
    timeout: 120_000,
  });
  const times: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const i = (r * 97) % TOPOLOGIES;
    const phase = r % 2 ? "Ready" : "Degraded";
    const started = performance.now();
    const key = write(i, phase);
    // The row in the overview table shows the new phase.
    await page.waitForFunction(
      ([k, p]) => document.querySelector(`tr[data-key="${CSS.escape(k!)}"] .phase`)?.textContent === p,
      [key, phase] as const,
      { polling: "raf", timeout: 60_000 },
    );
    if (r > 0) times.push(performance.now() - started); // the first is a warm-up
    await new Promise((res) => setTimeout(res, 300));
  }
  const snapshot = sizes.find((s) => s.event === "topologies")?.bytes ?? NaN;
  const changes = sizes.filter((s) => s.event === "change").map((s) => s.bytes);
  console.log(
    JSON.stringify({
      chromium: browser.version(),
      topologies: TOPOLOGIES,
      rounds: ROUNDS,
      writeToPageMs: Math.round(median(times)),
      writeToPageMaxMs: Math.round(Math.max(...times)),
      changeMessageBytes: median(changes),
      wholeListMessageBytes: snapshot,
      targets: { writeToPageMs: "<= 1000", changeMessage: "what changed, not the whole list" },
      loadAverage: loadavg().map((l) => +l.toFixed(2)),
    }),
  );
} finally {
  stream.abort();
  await browser.close();
  await server.close();
}
