// Jest global setup for the e2e project: a real API server (KUBECONFIG, or the local control plane that
// hack/cluster.sh starts) with the CRD installed, and a real Docker engine when the tests need one.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { collectDiagnostics } from "./diagnostics.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
export const STARTED_FILE = join(ROOT, "test", "e2e", ".started.json");

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

export default async function globalSetup(): Promise<void> {
  const started: string[] = [];
  if (!process.env.KUBECONFIG) {
    const wasRunning = spawnOk(join(ROOT, "hack/cluster.sh"), ["status"]);
    // With the real node (hack/real-node.sh) unless TOPO_REAL_NODE=0: test/e2e/real-node needs it.
    const up = process.env.TOPO_REAL_NODE === "0" ? ["up"] : ["up", "--real-node"];
    process.env.KUBECONFIG = orDiagnose(`hack/cluster.sh ${up.join(" ")}`, () =>
      run(join(ROOT, "hack/cluster.sh"), up).split("\n").at(-1)!,
    );
    if (!wasRunning) started.push("cluster");
  }
  const kubectl = (process.env.TOPO_KUBECTL ??= run(join(ROOT, "hack/kubectl.sh"), ["--path"]));
  orDiagnose("installing the CRD", () => {
    run(kubectl, ["apply", "--server-side", "--force-conflicts", "-f", join(ROOT, "crds")]);
    run(kubectl, ["wait", "--for", "condition=established", "--timeout=60s", "crd/topologies.topo.dev"]);
  });
  if (process.env.TOPO_E2E_SKIP_DOCKER !== "1" && existsSync(join(ROOT, "hack/docker.sh"))) {
    const wasRunning = spawnOk(join(ROOT, "hack/docker.sh"), ["status"]);
    orDiagnose("hack/docker.sh up", () => run(join(ROOT, "hack/docker.sh"), ["up"]));
    if (!wasRunning) started.push("docker");
    if (existsSync(join(ROOT, "hack/images.sh"))) run(join(ROOT, "hack/images.sh"), []);
    // The real node cannot pull: the images just built go into its containerd (only those that changed).
    if (spawnOk(join(ROOT, "hack/real-node.sh"), ["status"]))
      orDiagnose("hack/real-node.sh images", () => run(join(ROOT, "hack/real-node.sh"), ["images"]));
  }
  writeFileSync(STARTED_FILE, JSON.stringify({ started }));
}

function spawnOk(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs a start-up step; when it fails, prints the cluster diagnostics first so CI output explains why. */
function orDiagnose<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    process.stderr.write(`\n[e2e setup] ${what} failed; diagnostics:${collectDiagnostics()}\n`);
    throw new Error(`${what} failed (diagnostics above)`, { cause: err });
  }
}
