// hack/cluster.sh against the running local control plane: status, a second `up`, diagnose, the ports it
// listens on, and the state dir it reads. It never runs `down` or stops a component: other engineers share
// the cluster (test/e2e/cluster/restart.test.ts faults a private one).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT, run } from "./helpers.ts";

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

  it("reads its state from TOPO_CLUSTER_DIR only: TOPO_STATE_DIR, `topo up`'s state, does not move it", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "topo-state-"));
    try {
      const out = await run("hack/cluster.sh", ["status"], { env: { TOPO_STATE_DIR: elsewhere } });
      expect(out.code).toBe(0);
      // The same processes of the same cluster (their RSS moves between two calls).
      const { pids, server, kubeconfig } = parseStatus(out.stdout);
      expect({ pids, server, kubeconfig }).toEqual({
        pids: first.pids,
        server: first.server,
        kubeconfig: first.kubeconfig,
      });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("reports every component stopped for an empty TOPO_CLUSTER_DIR, and refuses to restart one there", async () => {
    const empty = mkdtempSync(join(tmpdir(), "topo-cluster-"));
    try {
      const env = { TOPO_CLUSTER_DIR: empty };
      const status = await run("hack/cluster.sh", ["status"], { env });
      expect(status.code).toBe(1);
      for (const c of COMPONENTS) expect(status.stdout).toMatch(new RegExp(`^${c}\\s+stopped$`, "m"));
      const restart = await run("hack/cluster.sh", ["restart", "kwok"], { env });
      expect(restart.code).toBe(1);
      expect(restart.stderr).toContain(`no cluster in ${empty}`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(parseStatus((await run("hack/cluster.sh", ["status"])).stdout).pids).toEqual(first.pids);
  });

  it("refuses an unknown component or option with its usage, and touches nothing", async () => {
    for (const args of [["restart", "kubelet"], ["freeze"], ["up", "--bogus"]]) {
      const out = await run("hack/cluster.sh", args);
      expect({ args, code: out.code }).toEqual({ args, code: 2 });
      expect(out.stderr).toContain("usage: hack/cluster.sh");
    }
    expect(parseStatus((await run("hack/cluster.sh", ["status"])).stdout).pids).toEqual(first.pids);
  });

  it("listens only on the ports its header names, kwok on none, so a second cluster can run beside it", async () => {
    const port = (name: string, fallback: number) => Number(process.env[name] || fallback);
    const etcd = port("TOPO_ETCD_PORT", 12379);
    const expected: Record<string, number[]> = {
      etcd: [etcd, port("TOPO_ETCD_PEER_PORT", etcd + 1)].sort(),
      "kube-apiserver": [Number(new URL(first.server!).port)],
      "kube-controller-manager": [port("TOPO_KCM_PORT", 20257)],
      "kube-scheduler": [port("TOPO_SCHEDULER_PORT", 20259)],
      kwok: [],
    };
    const ss = await run("ss", ["-Hltnp"]);
    expect(ss.code).toBe(0);
    const listening: Record<string, number[]> = Object.fromEntries(COMPONENTS.map((c) => [c, []]));
    for (const line of ss.stdout.split("\n")) {
      // Loopback, or every address when the real node is on (the API server also serves the node).
      const port = /(?:127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]):(\d+)\s/.exec(line)?.[1];
      const pid = /pid=(\d+)/.exec(line)?.[1];
      const owner = COMPONENTS.find((c) => first.pids[c] === Number(pid));
      if (owner && port) listening[owner]!.push(Number(port));
    }
    for (const c of COMPONENTS) listening[c]!.sort();
    expect(listening).toEqual(expected);
    // Every variable the script reads is documented in its header, with the ports above among them.
    const script = readFileSync(join(ROOT, "hack/cluster.sh"), "utf8");
    const header = script.slice(0, script.indexOf("\nset -euo pipefail"));
    const read = [...new Set(script.match(/\$\{?TOPO_[A-Z_]+/g)!.map((v) => v.replace(/^\$\{?/, "")))];
    expect(read).toEqual(expect.arrayContaining(["TOPO_ETCD_PEER_PORT", "TOPO_NODE_LEASE_SECONDS"]));
    expect(read.filter((v) => !header.includes(`#   ${v} `))).toEqual([]);
  });
});
