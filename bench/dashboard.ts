// Benchmark: the dashboard's front end, each number beside a baseline measured in the same run.
//   1. Time to first render of the largest graph the API accepts, a 250-node full mesh (62,250 connectsTo
//      edges), in headless Chromium (Debian's chromium, through playwright-core), from navigation start to
//      the first frame cytoscape draws with the graph; baseline: a 10-node linear topology through the same
//      server, page and browser. Every page is a fresh browser context (cold HTTP cache); one discarded
//      warm-up of each, then the median of BENCH_ROUNDS (default 5), the two alternating.
//      The server sends the mesh grouped (groups.ts, ?view=grouped): one group beside its not-Ready nodes;
//      the same page then taps it open, and the time to the frame with all 250 nodes is reported too. The
//      answer's size is reported beside the whole detail's (what the page fetched before groups).
//   3. Frame times while panning and zooming (mouse drags and wheel turns, 3 s), from requestAnimationFrame
//      in the page: median and 95th percentile, as frames a second; of the collapsed mesh and the opened
//      one, beside the 10-node linear topology's in the same run.
//   2. The built bundle (npm run build:web, done here first), raw and gzip (level 6, as servers send it);
//      baseline: cytoscape's own minified build, the one dependency the bundle carries.
// Run: npm run bench:dashboard
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "vite";
import { serveDashboard } from "../operator/src/dashboard/server.ts";
import { launch, openPage } from "../test/e2e/dashboard/browser.ts";
import {
  explicitMesh,
  generatedTopology,
  MEMORY_NAMESPACE,
  memorySource,
} from "../test/e2e/dashboard/memory-source.ts";

const ROOT = join(import.meta.dirname, "..");
const WEB = join(ROOT, "operator/src/dashboard/web");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kib = (bytes: number) => +(bytes / 1024).toFixed(1);

await build({ configFile: join(WEB, "vite.config.ts"), logLevel: "silent" });
const sizes = (files: string[]) => {
  const bodies = files.map((f) => readFileSync(f));
  return {
    raw: bodies.reduce((s, b) => s + b.length, 0),
    gzip: bodies.reduce((s, b) => s + gzipSync(b, { level: 6 }).length, 0),
  };
};
const assets = readdirSync(join(WEB, "dist/assets")).map((f) => join(WEB, "dist/assets", f));
const bundle = sizes([join(WEB, "dist/index.html"), ...assets]);
const js = sizes(assets.filter((f) => f.endsWith(".js")));
const cytoscape = sizes([join(ROOT, "node_modules/cytoscape/dist/cytoscape.esm.min.mjs")]);

const server = await serveDashboard({
  source: memorySource([explicitMesh("mesh250", 250), generatedTopology("linear10", "linear", 10)]),
  port: 0,
  host: "127.0.0.1",
});
const browser = await launch();

interface Render {
  firstRenderMs: number;
  marks: [string, number][];
  /** The opened mesh: ms from the tap to its first frame, and frame rates while panning and zooming. */
  openMs?: number;
  fps?: { collapsed: Fps; opened: Fps };
  /** Frame rates of a page drawn without groups (the baseline). */
  plainFps?: Fps;
}
interface Fps {
  medianFps: number;
  p95FrameMs: number;
}

type Page = Awaited<ReturnType<typeof openPage>>;
type GraphHook = {
  __topo: {
    graph(): { nodes: { phase: string; at?: { x: number; y: number } }[] };
    marks(): [string, number][];
  };
};

/** Frame times over 3 s of drags and wheel turns across the graph, from requestAnimationFrame. */
async function panZoom(page: Page): Promise<Fps> {
  const box = (await page.locator("#graph").boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framing: boolean };
    w.__frames = [];
    w.__framing = true;
    const tick = (t: number) => {
      w.__frames.push(t);
      if (w.__framing) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const until = Date.now() + 3000;
  for (let i = 0; Date.now() < until; i++) {
    await page.mouse.move(cx - 100, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 100, cy + 40, { steps: 8 });
    await page.mouse.up();
    await page.mouse.wheel(0, i % 2 ? 240 : -240);
  }
  const frames = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framing: boolean };
    w.__framing = false;
    return w.__frames;
  });
  const gaps = frames.slice(1).map((t, i) => t - frames[i]!);
  const sorted = [...gaps].sort((a, b) => a - b);
  return {
    medianFps: +(1000 / median(gaps)).toFixed(1),
    p95FrameMs: Math.round(sorted[Math.floor(sorted.length * 0.95)] ?? NaN),
  };
}

async function firstRender(name: string, open = false, pan = false): Promise<Render> {
  const page = await openPage(browser);
  try {
    await page.goto(`http://127.0.0.1:${server.port}/#/${MEMORY_NAMESPACE}/${name}`);
    type Hook = { __topo: { firstRenderMs(): number | undefined; marks(): [string, number][] } };
    await page.waitForFunction(() => (window as unknown as Hook).__topo.firstRenderMs() !== undefined, null, {
      timeout: 180_000,
    });
    const first = await page.evaluate(() => ({
      firstRenderMs: (window as unknown as Hook).__topo.firstRenderMs()!,
      marks: (window as unknown as Hook).__topo.marks(),
    }));
    if (pan) return { ...first, plainFps: await panZoom(page) };
    if (!open) return first;
    const collapsed = await panZoom(page);
    // Start again from the first frame (the pan and zoom moved it), then tap the group open and wait for
    // the frame with every node.
    await page.reload();
    await page.waitForFunction(() => (window as unknown as Hook).__topo.firstRenderMs() !== undefined, null, {
      timeout: 180_000,
    });
    const group = (await page.evaluate(() => (window as unknown as GraphHook).__topo.graph())).nodes.find(
      (n) => n.phase === "Group",
    );
    if (!group?.at) throw new Error(`${name} was not drawn as a group`);
    const box = (await page.locator("#graph").boundingBox())!;
    const tapped = await page.evaluate(() => performance.now());
    await page.mouse.click(box.x + group.at.x, box.y + group.at.y);
    await page.waitForFunction(
      () => (window as unknown as GraphHook).__topo.marks().filter(([m]) => m === "topo:render").length >= 2,
      null,
      { timeout: 300_000 },
    );
    const renders = (await page.evaluate(() => (window as unknown as GraphHook).__topo.marks())).filter(
      ([m]) => m === "topo:render",
    );
    const openMs = renders[1]![1] - tapped;
    return { ...first, openMs, fps: { collapsed, opened: await panZoom(page) } };
  } finally {
    await page.context().close();
  }
}

try {
  await firstRender("linear10");
  await firstRender("mesh250");
  const mesh: Render[] = [];
  const linear: Render[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    linear.push(await firstRender("linear10"));
    mesh.push(await firstRender("mesh250"));
  }
  // The mesh opened, and panned and zoomed, once, beside the linear topology panned and zoomed.
  const opened = await firstRender("mesh250", true);
  const plain = (await firstRender("linear10", false, true)).plainFps!;
  // What the server sends for the mesh: as the page asks for it (grouped), and the whole detail.
  const answer = async (query: string) =>
    (
      await (
        await fetch(`http://127.0.0.1:${server.port}/api/topologies/${MEMORY_NAMESPACE}/mesh250${query}`)
      ).arrayBuffer()
    ).byteLength;
  const groupedBytes = await answer("?view=grouped");
  const wholeBytes = await answer("");
  const meshMs = median(mesh.map((r) => r.firstRenderMs));
  const linearMs = median(linear.map((r) => r.firstRenderMs));
  const fps = opened.fps!;
  // Where the mesh's time goes, from the page's performance marks (median of each step).
  const step = (from: string, to: string) =>
    Math.round(
      median(
        mesh.map((r) => {
          const at = new Map(r.marks);
          return (at.get(to) ?? NaN) - (from ? (at.get(from) ?? NaN) : 0);
        }),
      ),
    );
  console.log(
    JSON.stringify({
      chromium: browser.version(),
      rounds: ROUNDS,
      mesh250FirstRenderMs: Math.round(meshMs),
      linear10FirstRenderMs: Math.round(linearMs),
      meshOverLinear: +(meshMs / linearMs).toFixed(2),
      mesh250OpenMs: Math.round(opened.openMs!),
      panZoom: opened.fps,
      mesh250Answer: { groupedKiB: kib(groupedBytes), wholeKiB: kib(wholeBytes) },
      // Navigation start to the fetch (boot.ts), the main module (cytoscape) loaded meanwhile, the answer.
      mesh250Steps: {
        toFetchMs: step("", "topo:fetch"),
        mainLoadedMs: step("topo:fetch", "topo:main"),
        fetchMs: step("topo:fetch", "topo:fetched"),
        collapseMs: step("topo:collapse", "topo:elements"),
        elementsMs: step("topo:elements", "topo:added"),
        layoutMs: step("topo:added", "topo:layout"),
        drawMs: step("topo:layout", "topo:render"),
      },
      bundleKiB: kib(bundle.raw),
      bundleGzipKiB: kib(bundle.gzip),
      jsKiB: kib(js.raw),
      jsGzipKiB: kib(js.gzip),
      cytoscapeMinKiB: kib(cytoscape.raw),
      cytoscapeMinGzipKiB: kib(cytoscape.gzip),
      bundleGzipOverCytoscape: +(bundle.gzip / cytoscape.gzip).toFixed(2),
      // Each target beside its same-run baseline.
      targets: {
        mesh250FirstRenderMs: { value: Math.round(meshMs), target: "<= 1000", met: meshMs <= 1000 },
        meshOverLinear: {
          value: +(meshMs / linearMs).toFixed(2),
          baselineMs: Math.round(linearMs),
          target: "<= 2",
          met: meshMs / linearMs <= 2,
        },
        panZoomMedianFps: {
          collapsed: fps.collapsed.medianFps,
          opened: fps.opened.medianFps,
          baseline: plain.medianFps,
          p95FrameMs: {
            collapsed: fps.collapsed.p95FrameMs,
            opened: fps.opened.p95FrameMs,
            baseline: plain.p95FrameMs,
          },
          target: ">= 30",
          met: fps.collapsed.medianFps >= 30 && fps.opened.medianFps >= 30,
        },
        bundleGzipKiB: {
          value: kib(bundle.gzip),
          baselineCytoscapeGzipKiB: kib(cytoscape.gzip),
          target: "<= 150",
          met: bundle.gzip / 1024 <= 150,
        },
      },
      loadAverage: loadavg().map((l) => +l.toFixed(2)),
    }),
  );
} finally {
  await browser.close();
  await server.close();
}
