// Runs the real operator as a child process against the real API server, and reads what it did.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";

export const ROOT = join(import.meta.dirname, "..", "..", "..");

export function kube(): { kc: KubeConfig; objects: KubernetesObjectApi } {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return { kc, objects: KubernetesObjectApi.makeApiClient(kc) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface OperatorProcess {
  child: ChildProcess;
  port: number;
  logs(): string;
  metrics(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `topo operator` watching one namespace; resolves once /readyz answers 200. `root` runs another
 * source tree of the operator (an earlier release, for upgrade tests) instead of this one.
 */
export async function startOperator(opts: {
  namespace: string;
  env?: Record<string, string>;
  root?: string;
}): Promise<OperatorProcess> {
  const port = await freePort();
  const dashboard = await freePort();
  let out = "";
  const root = opts.root ?? ROOT;
  const child = spawn(process.execPath, [join(root, "operator/src/cli/bin.ts"), "operator"], {
    cwd: root,
    env: {
      ...process.env,
      TOPO_NAMESPACES: opts.namespace,
      TOPO_HTTP_PORT: String(port),
      TOPO_DASHBOARD_PORT: String(dashboard),
      TOPO_LEADER_ELECT: "false",
      TOPO_LOG_LEVEL: "debug",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const proc: OperatorProcess = {
    child,
    port,
    logs: () => out,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  try {
    await waitFor(
      "the operator's /readyz",
      async () => child.exitCode === null && (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      60_000,
    );
  } catch (err) {
    await proc.stop("SIGKILL");
    throw new Error(`${(err as Error).message}\n--- operator output ---\n${out.slice(-4000)}`);
  }
  return proc;
}

/** Sum of a counter over all label sets, from Prometheus text. */
export function counter(metrics: string, name: string, filter = ""): number {
  return metrics
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => l.includes(filter))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).at(-1)), 0);
}

export interface TopologyObject extends KubernetesObject {
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    observedGeneration?: number;
    revision?: number;
    lastGoodRevision?: number;
    readyNodes?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    nodes?: { name: string; phase: string; message?: string; readyReplicas: number }[];
    history?: { revision: number; outcome: string; reason?: string }[];
  };
}

export function topology(namespace: string, name: string, spec: Record<string, unknown>): TopologyObject {
  return { apiVersion: "topo.dev/v1alpha1", kind: "Topology", metadata: { name, namespace }, spec };
}

export async function readTopology(namespace: string, name: string): Promise<TopologyObject> {
  return kube().objects.read<TopologyObject>({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name, namespace },
  });
}

/** Server-side applies a Topology as a user would with `kubectl apply --server-side`. */
export async function applyTopology(obj: TopologyObject): Promise<TopologyObject> {
  return kube().objects.patch(obj, undefined, undefined, "e2e-user", true, "application/apply-patch+yaml");
}

/** The objects of a topology as the API server stores them (plain JSON, not client-node's models). */
export async function listOwned(
  namespace: string,
  kind: string,
  apiVersion: string,
  topologyName: string,
): Promise<KubernetesObject[]> {
  const list = await request<{ items: KubernetesObject[] }>(
    kube().kc,
    "GET",
    resourcePath(apiVersion, kind, namespace),
    {
      query: { labelSelector: `topo.dev/topology=${topologyName}` },
    },
  );
  return list.items.map((o) => ({ ...o, apiVersion, kind }));
}

export async function waitForPhase(
  namespace: string,
  name: string,
  phase: string,
  timeoutMs = 90_000,
): Promise<TopologyObject> {
  return waitFor(
    `topology ${namespace}/${name} to be ${phase}`,
    async () => {
      const t = await readTopology(namespace, name);
      return t.status?.phase === phase && t.status.observedGeneration === t.metadata?.generation
        ? t
        : undefined;
    },
    timeoutMs,
  );
}

/** A fresh namespace for one test file; the returned function deletes it. */
export async function createNamespace(prefix: string): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const { objects } = kube();
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return {
    name,
    remove: async () =>
      void (await objects
        .delete({ apiVersion: "v1", kind: "Namespace", metadata: { name } })
        .catch(() => undefined)),
  };
}

export async function events(
  namespace: string,
  involved: string,
): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await kube().objects.list<
    KubernetesObject & { reason: string; message: string; type: string; involvedObject: { name: string } }
  >("v1", "Event", namespace);
  return list.items.filter((e) => e.involvedObject.name === involved);
}
