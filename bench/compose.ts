// Benchmark: the single-machine path on the real Docker engine (hack/docker.sh up && hack/images.sh).
//   1. `topo up` of examples/connector-lab.yaml (19 services) until healthy, beside baselines in the same
//      run on the very compose file topo rendered: `docker compose up -d` (no health gating) and, for
//      reference, `docker compose up -d --wait` (Compose's own health wait).
//   2. Recovery: a release whose mesh connectors fail their health check, from the start of `topo up` to
//      the previous revision answering again.
// Reports seconds and ratios; the target is recovery in under two minutes. Run: npm run bench:compose
// (BENCH_ROUNDS=N repeats each measurement and reports the median).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";

const ROOT = join(import.meta.dirname, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const dir = mkdtempSync(join(tmpdir(), "topo-bench-compose-"));
const name = `bench-${Math.random().toString(36).slice(2, 6)}`;
const file = join(dir, "lab.yaml");

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}
const topo = (...args: string[]) => sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args]);
function timed<T>(fn: () => T): [number, T] {
  const t = performance.now();
  const r = fn();
  return [(performance.now() - t) / 1000, r];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** connector-lab under its own name, without the host port (a second copy must not clash), failing on demand. */
function lab(fail: boolean): string {
  const doc = parse(readFileSync(join(ROOT, "examples/connector-lab.yaml"), "utf8"));
  doc.metadata.name = name;
  for (const n of doc.spec.nodes) for (const p of n.ports ?? []) delete p.hostPort;
  doc.spec.rollout = { ...doc.spec.rollout, progressDeadlineSeconds: 60 };
  if (fail) {
    const mesh = doc.spec.generators.find((g: { shape: string }) => g.shape === "mesh");
    mesh.template.env = [...(mesh.template.env ?? []), { name: "FAIL_HEALTH", value: "1" }];
  }
  return stringify(doc);
}

/** Compose alone on the compose file of revision 1, exactly as topo wrote it, with the same env file. */
function baseline(wait: boolean): number {
  const state = join(dir, ".topo", name);
  const project = `${name}-baseline`;
  const copy = join(dir, "baseline");
  cpSync(state, copy, { recursive: true });
  const args = ["compose", "-p", project, "-f", join(copy, "revisions/1/docker-compose.yml")];
  const up = ["--env-file", join(copy, "secrets.env"), "up", "-d", ...(wait ? ["--wait"] : [])];
  const [s, r] = timed(() => sh("docker", [...args, ...up]));
  if (r.code !== 0) throw new Error(`baseline failed:\n${r.out}`);
  sh("docker", [...args, "down", "--volumes"]);
  rmSync(copy, { recursive: true, force: true });
  return s;
}

const up: number[] = [];
const base: number[] = [];
const baseWait: number[] = [];
const recovery: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    writeFileSync(file, lab(false));
    const [s, r] = timed(() => topo("up", file));
    if (r.code !== 0) throw new Error(`topo up failed:\n${r.out}`);
    up.push(s);
    base.push(baseline(false));
    baseWait.push(baseline(true));

    writeFileSync(file, lab(true));
    const [rs, rr] = timed(() => topo("up", file));
    if (rr.code !== 1 || !/which is healthy again/.test(rr.out)) throw new Error(`no rollback:\n${rr.out}`);
    recovery.push(rs);
    topo("down", file, "--volumes");
    rmSync(join(dir, ".topo"), { recursive: true, force: true });
  }
} finally {
  topo("down", file, "--volumes");
  rmSync(dir, { recursive: true, force: true });
}

const b = median(base);
console.log(
  JSON.stringify(
    {
      services: 19,
      rounds: ROUNDS,
      // The baseline: `docker compose up -d` of the same file, without health gating.
      baselineComposeUpSeconds: +b.toFixed(1),
      topoUpSeconds: +median(up).toFixed(1),
      upRatio: +(median(up) / b).toFixed(2),
      // For reference: Compose's own health wait on the same file.
      composeUpWaitSeconds: +median(baseWait).toFixed(1),
      upVsComposeWaitRatio: +(median(up) / median(baseWait)).toFixed(2),
      failedReleaseToRecoveredSeconds: +median(recovery).toFixed(1),
      recoveryTargetSeconds: 120,
    },
    null,
    2,
  ),
);
