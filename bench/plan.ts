// Benchmark: `topo plan examples/connector-lab.yaml` as a whole process against a cluster that runs it (the
// operator started until Ready, then stopped, so only the plans read), unchanged and with one node's image
// changed, beside a baseline in the same run: `topo --version`, which starts Node and loads the same modules.
// Run: npm run bench:plan     (KUBECONFIG, else the local control plane: hack/cluster.sh up; BENCH_ROUNDS=9)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse, stringify } from "yaml";
import {
  applyTopology,
  createNamespace,
  readTopology,
  startOperator,
  waitFor,
  type TopologyObject,
} from "../test/e2e/operator/harness.ts";

const ROOT = join(import.meta.dirname, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
process.env.KUBECONFIG ??= execFileSync(join(ROOT, "hack/cluster.sh"), ["up"], { encoding: "utf8" })
  .trim()
  .split("\n")
  .at(-1)!;

const bin = join(ROOT, "operator/src/cli/bin.ts");
const example = parse(readFileSync(join(ROOT, "examples/connector-lab.yaml"), "utf8")) as TopologyObject;
const dir = mkdtempSync(join(tmpdir(), "topo-bench-plan-"));
const same = join(dir, "connector-lab.yaml");
writeFileSync(same, stringify(example));
const changed = join(dir, "changed.yaml");
const next = structuredClone(example);
(next.spec.nodes as { name: string; image?: string }[]).find((n) => n.name === "dashboard")!.image =
  "topo/testsvc:v2";
writeFileSync(changed, stringify(next));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One whole-process run of `topo ARGS`: wall ms and exit code. */
function once(args: string[]): { ms: number; code: number | null } {
  const t = performance.now();
  const code = spawnSync(process.execPath, [bin, ...args], { stdio: "ignore", env: process.env }).status;
  return { ms: performance.now() - t, code };
}

/**
 * The commands in turn, round after round (A B C A B C...), so a machine whose speed drifts slows them
 * alike: each one's median, and the median of its difference to the baseline within a round.
 */
function interleave(commands: string[][]): { ms: number; over: number; codes: (number | null)[] }[] {
  const runs = commands.map(() => [] as { ms: number; code: number | null }[]);
  for (let r = 0; r < ROUNDS; r++) commands.forEach((c, i) => runs[i]!.push(once(c)));
  return runs.map((rs) => ({
    ms: median(rs.map((x) => x.ms)),
    over: median(rs.map((x, r) => x.ms - runs[0]![r]!.ms)),
    codes: [...new Set(rs.map((x) => x.code))],
  }));
}

const ns = await createNamespace("topo-bench-plan");
try {
  await applyTopology({ ...example, metadata: { name: "connector-lab", namespace: ns.name } });
  const op = await startOperator({ namespace: ns.name });
  await waitFor(
    "connector-lab Ready",
    async () => (await readTopology(ns.name, "connector-lab")).status?.phase === "Ready",
    180_000,
    1000,
  );
  await op.stop();
  once(["--version"]); // warm the file cache
  const [startup, unchanged, change] = interleave([
    ["--version"],
    ["plan", same, "-n", ns.name, "--exit-code"],
    ["plan", changed, "-n", ns.name, "--exit-code"],
  ]);
  if (unchanged!.codes.join() !== "0" || change!.codes.join() !== "3")
    throw new Error(`unexpected exit codes: ${unchanged!.codes} (unchanged), ${change!.codes} (changed)`);
  const row = (what: string, r: { ms: number; over: number }) =>
    console.log(`${what.padEnd(46)} ${r.ms.toFixed(0).padStart(6)} ms  (+${r.over.toFixed(0)} ms)`);
  console.log(`median of ${ROUNDS} rounds, whole process, against ${process.env.KUBECONFIG}`);
  console.log(`${"baseline: topo --version".padEnd(46)} ${startup!.ms.toFixed(0).padStart(6)} ms`);
  row("topo plan connector-lab.yaml (unchanged)", unchanged!);
  row("topo plan connector-lab.yaml (dashboard image)", change!);
} finally {
  await ns.remove();
}
