// Benchmark: `topo` start-up as whole processes, as the package's bin runs them (the bundle npm pack ships,
// built by hack/build-cli.ts into a temporary directory laid out as the package is), beside a bare
// `node -e 0` measured in the same rounds: `topo --version`, `topo validate` and `topo compose` of
// examples/web-stack.yaml, and `topo render` of the 250-node topology bench:render uses. Each command
// loads only the modules it uses (cli/commands.ts).
// Run: npm run bench:cli     (BENCH_ROUNDS=11; BENCH_BIN=FILE to time another build of the executable, e.g.
// an older commit's dist/operator/src/cli/bin.js, for a before and after)
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { buildCli } from "../hack/build-cli.ts";

const ROOT = join(import.meta.dirname, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const work = mkdtempSync(join(tmpdir(), "topo-bench-cli-"));

/** The executable: BENCH_BIN, or the bundle in a temporary package (package.json, node_modules beside). */
const bin = await (async () => {
  if (process.env.BENCH_BIN) return process.env.BENCH_BIN;
  const pkg = join(work, "package");
  mkdirSync(pkg);
  await buildCli(join(pkg, "dist", "cli"));
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
  return join(pkg, "dist", "cli", "topo.js");
})();
if (!existsSync(bin)) throw new Error(`${bin} missing`);

// The same 250-node topology as bench/render.ts: a 100-node mesh, a 100-node ring, a 49-node star, a store.
const mesh250 = join(work, "mesh250.yaml");
writeFileSync(
  mesh250,
  stringify({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: "bench" },
    spec: {
      defaults: {
        image: "registry.example/connector:1.4.0",
        ports: [{ name: "http", port: 8080 }],
        health: { http: { path: "/healthz", port: "http" } },
      },
      nodes: [{ name: "store", volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }] }],
      generators: [
        { prefix: "mesh", count: 100, shape: "mesh", template: { dependsOn: ["store"] } },
        { prefix: "ring", count: 100, shape: "ring", template: { dependsOn: ["store"] } },
        { prefix: "star", count: 49, shape: "star" },
      ],
    },
  }),
);
const webStack = join(ROOT, "examples/web-stack.yaml");

interface Case {
  what: string;
  argv: string[];
  /** The target: at most this many times bare Node, or at most this many milliseconds. */
  ratio?: number;
  ms?: number;
}
const cases: Case[] = [
  { what: "node -e 0 (baseline)", argv: ["-e", "0"] },
  { what: "topo --version", argv: [bin, "--version"], ratio: 3 },
  { what: "topo validate web-stack.yaml", argv: [bin, "validate", "-q", webStack], ratio: 4 },
  { what: "topo compose web-stack.yaml", argv: [bin, "compose", webStack], ratio: 4 },
  { what: "topo render mesh250.yaml (250 nodes)", argv: [bin, "render", mesh250], ms: 250 },
];

interface Run {
  /** Wall milliseconds, CPU milliseconds (user + system) and peak RSS in MiB. */
  ms: number;
  cpu: number;
  rss: number;
}

/**
 * One whole process under GNU time, which reports its CPU time and peak RSS (the wrapper's own exec is the
 * same for every case, the baseline included). CPU time is the figure a loaded machine moves least.
 */
function once(argv: string[]): Run {
  const t = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", process.execPath, ...argv], {
    stdio: ["ignore", "ignore", "pipe"],
    cwd: ROOT,
    encoding: "utf8",
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  const [user, sys, kib] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { ms, cpu: (user! + sys!) * 1000, rss: kib! / 1024 };
}
if (!existsSync("/usr/bin/time"))
  throw new Error("bench:cli needs GNU time (/usr/bin/time; apt-get install time)");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const c of cases) once(c.argv); // warm the file cache and Node's compile cache
// Round after round, every case in turn, so a machine whose speed drifts slows them alike; each case's
// ratio is the median of its ratio to the baseline within a round.
const runs = cases.map(() => [] as Run[]);
for (let r = 0; r < ROUNDS; r++) cases.forEach((c, i) => runs[i]!.push(once(c.argv)));
const base = runs[0]!;

console.log(
  `median of ${ROUNDS} rounds, whole processes, node ${process.versions.node}, ${bin}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(
  `${"".padEnd(38)} ${"wall".padStart(8)} ${"× node".padStart(7)} ${"CPU".padStart(8)} ${"× node".padStart(7)} ${"peak RSS".padStart(10)}  target (wall)`,
);
let missed = 0;
cases.forEach((c, i) => {
  const rs = runs[i]!;
  const ms = median(rs.map((x) => x.ms));
  const ratio = median(rs.map((x, r) => x.ms / base[r]!.ms));
  const cpu = median(rs.map((x) => x.cpu));
  const cpuRatio = median(rs.map((x, r) => x.cpu / Math.max(base[r]!.cpu, 10)));
  const rss = median(rs.map((x) => x.rss));
  let target = "";
  if (c.ratio !== undefined) target = `≤ ${c.ratio}× node: ${ratio <= c.ratio ? "met" : "MISSED"}`;
  if (c.ms !== undefined) target = `≤ ${c.ms} ms: ${ms <= c.ms ? "met" : "MISSED"}`;
  if (target.endsWith("MISSED")) missed++;
  console.log(
    [
      c.what.padEnd(38),
      `${ms.toFixed(0)} ms`.padStart(8),
      `${ratio.toFixed(2)}×`.padStart(7),
      `${cpu.toFixed(0)} ms`.padStart(8),
      `${cpuRatio.toFixed(2)}×`.padStart(7),
      `${rss.toFixed(1)} MiB`.padStart(10),
      ` ${target}`,
    ].join(" "),
  );
});
console.log("(GNU time counts CPU in 10 ms steps; the baseline's is taken as at least 10 ms)");
rmSync(work, { recursive: true, force: true });
process.exitCode = missed ? 1 : 0;
