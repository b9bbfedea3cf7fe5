// hack/cluster.sh against the running local control plane: status, a second `up`, diagnose. It never runs
// `down`: other engineers share the cluster.
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { run } from "./helpers.ts";

const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];

interface Status {
  pids: Record<string, number>;
  rssKiB: Record<string, number>;
  server?: string;
  kubeconfig?: string;
}

function parseStatus(out: string): Status {
  const status: Status = { pids: {}, rssKiB: {} };
  for (const line of out.split("\n")) {
    const m = /^(\S+)\s+running\s+pid (\d+)\s+rss (\d+) KiB$/.exec(line.trim());
    if (m) {
      status.pids[m[1]!] = Number(m[2]);
      status.rssKiB[m[1]!] = Number(m[3]);
    }
    const api = /^apiserver\s+(https:\/\/\S+) ready$/.exec(line.trim());
    if (api) status.server = api[1]!;
    const kc = /^kubeconfig\s+(\S+)$/.exec(line.trim());
    if (kc) status.kubeconfig = kc[1]!;
  }
  return status;
}

/** The executable a process runs, from /proc (argv[0]'s base name). */
const executable = (pid: number) => basename(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]!);

describe("hack/cluster.sh on the running control plane", () => {
  let first: Status;

  it("status reports every component running under its own binary, the API server ready, and the kubeconfig", async () => {
    const out = await run("hack/cluster.sh", ["status"]);
    expect(out).toMatchObject({ code: 0 });
    first = parseStatus(out.stdout);
    expect(Object.keys(first.pids).sort()).toEqual([...COMPONENTS].sort());
    for (const c of COMPONENTS) {
      expect({ c, exe: executable(first.pids[c]!) }).toEqual({ c, exe: c });
      expect(first.rssKiB[c]).toBeGreaterThan(1024);
    }
    expect(first.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(first.kubeconfig!)).toBe(true);
    expect(readFileSync(first.kubeconfig!, "utf8")).toContain(`server: ${first.server}`);
  });

  it("a second `up` prints the same kubeconfig path within seconds and restarts nothing", async () => {
    const out = await run("hack/cluster.sh", ["up"]);
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split("\n").at(-1)).toBe(first.kubeconfig);
    expect(out.ms).toBeLessThan(10_000);
    const after = parseStatus((await run("hack/cluster.sh", ["status"])).stdout);
    expect(after.pids).toEqual(first.pids);
  });

  it("diagnose prints each component's state and log tail, and the fake nodes", async () => {
    const out = await run("hack/cluster.sh", ["diagnose"]);
    expect(out.code).toBe(0);
    for (const c of COMPONENTS)
      expect(out.stderr).toContain(`----- ${c} (pid ${first.pids[c]}, running) -----`);
    expect(out.stderr).toMatch(/kwok-node-0\s+Ready/);
  });
});
