// Benchmark: a no-change `topo up` of a project whose nodes are built from source, as a whole process,
// against the same project with those nodes naming the images it built (no build), in the same rounds
// (A B A B...): what hashing the contexts (.dockerignore applied) and looking up the content tags costs
// when nothing changed. Three built nodes, each context a small service tree (60 files, 1.5 MiB), and one
// node from an image, on the real Docker engine (hack/docker.sh up, hack/images.sh).
// Run: npm run bench:build     (BENCH_ROUNDS=9; TOPO_COMPOSE=v1|v2 as for topo up)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse, stringify } from "yaml";
import { parseTopology } from "../operator/src/api/parse.ts";
import { buildImages } from "../operator/src/local/build.ts";
import { Docker } from "../operator/src/local/docker.ts";

const ROOT = join(import.meta.dirname, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const bin = join(ROOT, "operator/src/cli/bin.ts");
const dir = mkdtempSync(join(tmpdir(), "topo-bench-build-"));
const id = Math.random().toString(36).slice(2, 6);
const NODES = ["api", "worker", "gateway"];

for (const node of NODES) {
  const ctx = join(dir, node);
  mkdirSync(join(ctx, "src"), { recursive: true });
  mkdirSync(join(ctx, "node_modules"));
  writeFileSync(join(ctx, "Dockerfile"), "FROM topo/busybox:local\nCOPY src /app/src\n");
  writeFileSync(join(ctx, ".dockerignore"), "node_modules\n*.log\n");
  for (let i = 0; i < 60; i++) writeFileSync(join(ctx, "src", `m${i}.js`), `// ${node} ${i}\n`.repeat(900));
  for (let i = 0; i < 200; i++) writeFileSync(join(ctx, "node_modules", `dep${i}.js`), "x");
}

// Tolerant checks: on a loaded machine a passing check can take seconds, and a timeout counts as a failure.
const health = { exec: { command: ["test", "-d", "/"] }, interval: "2s", timeout: "10s", retries: 5 };
const node = (name: string, source: Record<string, unknown>) => ({
  name,
  ...source,
  command: ["sleep", "3600"],
  health,
});
const file = (name: string, images?: Record<string, string>) => {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    stringify({
      apiVersion: "topo.dev/v1alpha1",
      kind: "Topology",
      metadata: { name },
      spec: {
        nodes: [
          ...NODES.map((n) => node(n, images ? { image: images[n] } : { build: { context: `./${n}` } })),
          node("store", { image: "topo/busybox:local" }),
        ],
      },
    }),
  );
  return path;
};

function up(path: string): { ms: number; code: number | null; err: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, "up", path], { encoding: "utf8", env: process.env });
  return { ms: performance.now() - t, code: r.status, err: r.stderr };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const built = file(`bench-built-${id}`);
let first = up(built);
if (first.code !== 0) throw new Error(`topo up of the built project failed:\n${first.err}`);
const state = JSON.parse(readFileSync(join(dir, ".topo", `bench-built-${id}`, "state.json"), "utf8")) as {
  history: { images: Record<string, string> }[];
};
const plain = file(`bench-plain-${id}`, state.history.at(-1)!.images);
first = up(plain);
if (first.code !== 0) throw new Error(`topo up of the plain project failed:\n${first.err}`);

const a: number[] = [];
const b: number[] = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    const x = up(built);
    const y = up(plain);
    if (x.code !== 0 || y.code !== 0) throw new Error(`a round failed:\n${x.err}\n${y.err}`);
    if (/building/.test(x.err)) throw new Error(`an unchanged project was built again:\n${x.err}`);
    a.push(x.ms);
    b.push(y.ms);
  }
  // The part that differs, alone and in this process: hashing the three contexts and looking up the tags.
  const parsed = parseTopology(parse(readFileSync(built, "utf8")));
  if (!parsed.ok) throw new Error("the built topology does not parse");
  const check: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    const images = await buildImages({
      docker: new Docker(),
      topology: parsed.topology,
      file: built,
      log: () => {},
    });
    check.push(performance.now() - t);
    if (images.some((i) => i.built)) throw new Error("an unchanged context was built again");
  }
  const ratios = a.map((ms, i) => ms / b[i]!);
  console.log(
    `no-change topo up, whole process, ${ROUNDS} rounds (A B A B), load ${loadavg()[0]!.toFixed(1)}, ${NODES.length} built nodes + 1 image node`,
  );
  console.log(
    `  with build:    median ${(median(a) / 1000).toFixed(2)} s  (min ${(Math.min(...a) / 1000).toFixed(2)}, max ${(Math.max(...a) / 1000).toFixed(2)})`,
  );
  console.log(
    `  without build: median ${(median(b) / 1000).toFixed(2)} s  (min ${(Math.min(...b) / 1000).toFixed(2)}, max ${(Math.max(...b) / 1000).toFixed(2)})`,
  );
  console.log(
    `  ratio (pair by pair): median ${median(ratios).toFixed(2)}x, min ${Math.min(...ratios).toFixed(2)}x, max ${Math.max(...ratios).toFixed(2)}x`,
  );
  console.log(
    `  the build check alone (hash 3 contexts, inspect 3 tags), in process: median ${median(check).toFixed(0)} ms (min ${Math.min(...check).toFixed(0)}, max ${Math.max(...check).toFixed(0)})`,
  );
} finally {
  for (const p of [built, plain])
    spawnSync(process.execPath, [bin, "down", p, "--prune-images"], { stdio: "ignore" });
  const tags = state.history
    .flatMap((h) => Object.values(h.images))
    .filter((t) => t.startsWith("topo.local/"));
  spawnSync("docker", ["rmi", ...new Set(tags)], { stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}
