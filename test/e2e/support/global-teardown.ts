// Jest global teardown: stops only what the setup started, and only when asked to (TOPO_E2E_TEARDOWN=1);
// by default the local control plane and engine stay up, so the next run starts warm.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { STARTED_FILE } from "./global-setup.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STARTED_FILE)) return;
  const { started } = JSON.parse(readFileSync(STARTED_FILE, "utf8")) as { started: string[] };
  rmSync(STARTED_FILE);
  if (process.env.TOPO_E2E_TEARDOWN !== "1") return;
  if (started.includes("cluster"))
    execFileSync(join(ROOT, "hack/cluster.sh"), ["down"], { stdio: "inherit" });
  if (started.includes("docker")) execFileSync(join(ROOT, "hack/docker.sh"), ["down"], { stdio: "inherit" });
}
