// A control plane of a test's own, for faults the shared one must never see (a component killed, restarted or
// frozen): hack/cluster.sh under its own state dir and ports, torn down by the test's afterAll.
//
//   const cluster = await startPrivateCluster({ name: "faults", nodeLeaseSeconds: 8 });
//   await cluster.freeze("kube-apiserver"); ... await cluster.thaw("kube-apiserver");
//   await cluster.stop(); // in afterAll
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..", "..");

export const COMPONENTS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
] as const;
export type Component = (typeof COMPONENTS)[number];

export interface PrivateClusterOptions {
  /** Names the state dir (`<tmpdir>/topo-cluster-<name>`) and seeds the choice of ports. */
  name: string;
  /** kwok's node lease (default 40 s): a node turns NotReady this + 10 s after kwok last renewed it. */
  nodeLeaseSeconds?: number;
  /** Fake nodes (default 3). */
  nodes?: number;
  /** Zones the fake nodes are spread over, labelled topology.kubernetes.io/zone (default none). */
  zones?: number;
  /** Ports 22000 + 10 × offset onwards (0-99); by default the first free block from a hash of `name`. */
  offset?: number;
}

export interface Ports {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PrivateCluster {
  name: string;
  /** TOPO_CLUSTER_DIR: PKI, etcd data, kubeconfigs, and each component's log and pid. */
  dir: string;
  /** The admin kubeconfig (system:masters). */
  kubeconfig: string;
  ports: Ports;
  /** What hack/cluster.sh needs to address this cluster: TOPO_CLUSTER_DIR, the ports, the lease. */
  env: Record<string, string>;
  /** hack/cluster.sh ARGS against this cluster; never throws on a non-zero exit. */
  script(args: string[], timeoutMs?: number): Promise<ScriptResult>;
  /** kubectl of the pinned version with this cluster's kubeconfig; resolves to stdout, throws on failure. */
  kubectl(args: string[]): Promise<string>;
  /** `hack/cluster.sh up`: starts whatever is stopped on the same data (`fresh`: a new, empty cluster). */
  up(opts?: { fresh?: boolean }): Promise<void>;
  /** Stops one component (SIGTERM, SIGKILL after 5 s) and starts it on the same data. */
  restart(component: Component): Promise<void>;
  stopComponent(component: Component): Promise<void>;
  startComponent(component: Component): Promise<void>;
  /** SIGSTOP: the process stays, answers nothing, renews nothing. */
  freeze(component: Component): Promise<void>;
  /** SIGCONT. */
  thaw(component: Component): Promise<void>;
  /** Sends `signal` (default SIGKILL) and waits until the process is gone; `up` starts it again. */
  kill(component: Component, signal?: NodeJS.Signals): Promise<void>;
  /** The component's pid while it runs (frozen counts as running). */
  pidOf(component: Component): number | undefined;
  /** `hack/cluster.sh down`: stops every component and deletes `dir`. */
  stop(): Promise<void>;
}

const BASE_PORT = 22000;

export function portsAt(offset: number): Ports {
  const base = BASE_PORT + 10 * offset;
  return {
    etcd: base,
    etcdPeer: base + 1,
    apiserver: base + 2,
    controllerManager: base + 3,
    scheduler: base + 4,
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

async function freeOffset(name: string): Promise<number> {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  for (let i = 0; i < 100; i++) {
    const offset = (hash + i) % 100;
    const taken = await Promise.all(Object.values(portsAt(offset)).map(listening));
    if (!taken.includes(true)) return offset;
  }
  throw new Error(`no free block of ports from ${BASE_PORT} to ${BASE_PORT + 999}`);
}

function runScript(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, "hack/cluster.sh"), args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether `pid` is a live process (not a zombie: nothing in this sandbox reaps the components). */
function live(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Starts (or, after a crashed run, replaces) the cluster `name`; resolves once every fake node is Ready. */
export async function startPrivateCluster(opts: PrivateClusterOptions): Promise<PrivateCluster> {
  const dir = join(tmpdir(), `topo-cluster-${opts.name}`);
  // A cluster left by a crashed run holds its ports: take its place before looking for free ones.
  await runScript(["down"], { TOPO_CLUSTER_DIR: dir });
  const ports = portsAt(opts.offset ?? (await freeOffset(opts.name)));
  const env: Record<string, string> = {
    TOPO_CLUSTER_DIR: dir,
    TOPO_ETCD_PORT: String(ports.etcd),
    TOPO_ETCD_PEER_PORT: String(ports.etcdPeer),
    TOPO_APISERVER_PORT: String(ports.apiserver),
    TOPO_KCM_PORT: String(ports.controllerManager),
    TOPO_SCHEDULER_PORT: String(ports.scheduler),
    TOPO_NODE_LEASE_SECONDS: String(opts.nodeLeaseSeconds ?? 40),
    TOPO_FAKE_NODES: String(opts.nodes ?? 3),
    TOPO_FAKE_ZONES: String(opts.zones ?? 0),
  };
  const script = (args: string[], timeoutMs?: number) => runScript(args, env, timeoutMs);
  const must = async (args: string[]) => {
    const r = await script(args);
    if (r.code !== 0)
      throw new Error(`hack/cluster.sh ${args.join(" ")} (${opts.name}) exited ${r.code}:\n${r.stderr}`);
    return r;
  };
  const pidOf = (component: Component): number | undefined => {
    try {
      const pid = Number(readFileSync(join(dir, `${component}.pid`), "utf8").trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return live(pid) && cmdline.includes(`${dir}/`) ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const kubeconfig = join(dir, "admin.kubeconfig");
  const cluster: PrivateCluster = {
    name: opts.name,
    dir,
    kubeconfig,
    ports,
    env,
    script,
    async kubectl(args) {
      const child = spawn(join(ROOT, "hack/kubectl.sh"), ["--kubeconfig", kubeconfig, ...args], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 60_000,
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", resolve);
      });
      if (code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${code}: ${err.trim()}`);
      return out;
    },
    async up({ fresh = false } = {}) {
      await must(fresh ? ["up", "--fresh"] : ["up"]);
    },
    async restart(component) {
      await must(["restart", component]);
    },
    async stopComponent(component) {
      await must(["stop", component]);
    },
    async startComponent(component) {
      await must(["start", component]);
    },
    async freeze(component) {
      await must(["freeze", component]);
    },
    async thaw(component) {
      await must(["thaw", component]);
    },
    async kill(component, signal = "SIGKILL") {
      const pid = pidOf(component);
      if (pid === undefined) throw new Error(`${component} of cluster ${opts.name} is not running`);
      process.kill(pid, signal);
      // SIGTERM lets the component shut down in its own time; SIGKILL is over at once.
      for (let waited = 0; live(pid); waited += 100) {
        if (waited > 60_000) throw new Error(`${component} (${pid}) outlived ${signal} by a minute`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    pidOf,
    async stop() {
      await must(["down"]);
      rmSync(`${dir}.lock`, { force: true });
    },
  };
  await cluster.up({ fresh: true });
  return cluster;
}
