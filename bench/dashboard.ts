// Benchmark: the dashboard's front end, each number beside a baseline measured in the same run.
//   1. Time to first render of the largest graph the API accepts, a 250-node full mesh (62,250 connectsTo
//      edges), in headless Chromium (Debian's chromium, through playwright-core), from navigation start to
//      the first frame cytoscape draws with the graph; baseline: a 10-node linear topology through the same
//      server, page and browser. Every page is a fresh browser context (cold HTTP cache); one discarded
//      warm-up of each, then the median of BENCH_ROUNDS (default 5), the two alternating.
//   2. The built bundle (npm run build:web, done here first), raw and gzip (level 6, as servers send it);
//      baseline: cytoscape's own minified build, the one dependency the bundle carries.
// Run: npm run bench:dashboard
import { readdirSync, readFileSync } from "node:fs";
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
}

async function firstRender(name: string): Promise<Render> {
  const page = await openPage(browser);
  try {
    await page.goto(`http://127.0.0.1:${server.port}/#/${MEMORY_NAMESPACE}/${name}`);
    type Hook = { __topo: { firstRenderMs(): number | undefined; marks(): [string, number][] } };
    await page.waitForFunction(() => (window as unknown as Hook).__topo.firstRenderMs() !== undefined, null, {
      timeout: 180_000,
    });
    return await page.evaluate(() => ({
      firstRenderMs: (window as unknown as Hook).__topo.firstRenderMs()!,
      marks: (window as unknown as Hook).__topo.marks(),
    }));
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
  const meshMs = median(mesh.map((r) => r.firstRenderMs));
  const linearMs = median(linear.map((r) => r.firstRenderMs));
  // Where the mesh's time goes, from the page's performance marks (median of each step).
  const step = (from: string, to: string) =>
    Math.round(
      median(
        mesh.map((r) => {
          const at = new Map(r.marks);
          return (at.get(to) ?? NaN) - (at.get(from) ?? NaN);
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
      mesh250Steps: {
        fetchMs: step("topo:fetch", "topo:fetched"),
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
    }),
  );
} finally {
  await browser.close();
  await server.close();
}
