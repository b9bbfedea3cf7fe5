// What CI output needs to explain a failed start or a failed e2e test without a shell on the machine: each
// control-plane component's state and log tail, nodes and pods, recent events, and the Docker containers.
import { spawnSync } from "node:child_process";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..", "..");

function section(title: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8", timeout: 30_000 });
  const body = r.error ? `(${cmd} could not run: ${r.error.message})` : `${r.stdout ?? ""}${r.stderr ?? ""}`;
  return `\n===== ${title} =====\n${body.trimEnd()}\n`;
}

/** The admin kubeconfig of hack/cluster.sh, whose `diagnose` already lists that cluster's nodes and pods. */
const LOCAL_KUBECONFIG = join(
  process.env.TOPO_CLUSTER_DIR ?? join(homedir(), ".local/state/topo/cluster"),
  "admin.kubeconfig",
);

/** Everything below, as one block of text; never throws. */
export function collectDiagnostics(): string {
  let out = section("hack/cluster.sh diagnose", join(ROOT, "hack/cluster.sh"), ["diagnose"]);
  const kubectl = process.env.TOPO_KUBECTL ?? join(ROOT, "hack/kubectl.sh");
  const other = process.env.KUBECONFIG && resolve(process.env.KUBECONFIG) !== resolve(LOCAL_KUBECONFIG);
  if (other)
    out += section(`nodes and pods (KUBECONFIG=${process.env.KUBECONFIG})`, kubectl, [
      "get",
      "nodes,pods",
      "-A",
      "-o",
      "wide",
    ]);
  if (process.env.KUBECONFIG) {
    const events = section("recent events", kubectl, [
      "get",
      "events",
      "-A",
      "--sort-by=.lastTimestamp",
    ]).split("\n");
    out += [...events.slice(0, 3), ...events.slice(3).slice(-40)].join("\n");
  }
  if (spawnSync("docker", ["info"], { stdio: "ignore", timeout: 10_000 }).status === 0)
    out += section("docker ps -a", "docker", ["ps", "-a"]);
  return out;
}
