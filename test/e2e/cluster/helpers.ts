// Shared by the cluster tests: the repository's scripts run as child processes, and plain-JSON REST calls
// (client-node's typed object API drops fields, see operator/src/kube/rest.ts).
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { ApiError } from "../../../operator/src/kube/errors.ts";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import { kube, ROOT } from "../operator/harness.ts";

export { ROOT };

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command from the repository root and collects its output; never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.includes("/") ? join(ROOT, cmd) : cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: opts.timeoutMs ?? 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** A REST call with the current KUBECONFIG, plain JSON in and out. */
export function api<T = unknown>(
  method: "GET" | "PATCH" | "DELETE" | "POST" | "PUT",
  path: string,
  opts: Parameters<typeof request>[3] = {},
): Promise<T> {
  return request<T>(kube().kc, method, path, opts);
}

/** The error a REST call failed with (and fails the test when it succeeded instead). */
export async function apiError(call: Promise<unknown>): Promise<ApiError> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok)
    throw new Error(`expected the API server to refuse, it answered ${JSON.stringify(outcome.value)}`);
  if (!(outcome.err instanceof ApiError)) throw outcome.err;
  return outcome.err;
}

export const TOPOLOGY = { apiVersion: "topo.dev/v1alpha1", kind: "Topology" } as const;

export function topologyPath(namespace: string, name?: string): string {
  return resourcePath(TOPOLOGY.apiVersion, TOPOLOGY.kind, namespace, name);
}

/** Creates a Topology with POST (as `kubectl create` would) and returns what the server stored. */
export function createTopology(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  opts: { dryRun?: boolean } = {},
): Promise<KubernetesObject & { spec: Record<string, unknown> }> {
  return api("POST", topologyPath(namespace), {
    query: { fieldValidation: "Strict", dryRun: opts.dryRun ? "All" : undefined },
    body: { ...TOPOLOGY, metadata: { name, namespace }, spec },
  });
}

/** resourcePath, plus the kinds only the tests read. */
export function collectionPath(apiVersion: string, kind: string, namespace: string): string {
  const extra: Record<string, string> = { "apps/v1/ReplicaSet": "replicasets", "v1/Secret": "secrets" };
  const plural = extra[`${apiVersion}/${kind}`];
  if (!plural) return resourcePath(apiVersion, kind, namespace);
  return `${apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`}/namespaces/${namespace}/${plural}`;
}

/** Names of the objects of one kind in a namespace, optionally filtered by a label selector. */
export async function names(
  apiVersion: string,
  kind: string,
  namespace: string,
  labelSelector?: string,
): Promise<string[]> {
  const list = await api<{ items: KubernetesObject[] }>("GET", collectionPath(apiVersion, kind, namespace), {
    query: { labelSelector },
  });
  return list.items.map((o) => o.metadata!.name!).sort();
}
