// Plain-JSON requests to the API server with the kubeconfig's credentials. client-node's generic object
// API serializes through its typed models, which silently drops fields whose model name differs from the
// wire name (NetworkPolicyIngressRule.from is `_from` in the model): an applied policy would lose its
// peers and allow everything. Server-side apply, deletes and informer lists therefore go through here.
import type { KubeConfig } from "../kube/client.ts";
import { connection } from "../kube/connection.ts";
// undici is client-node's own HTTP client: its dispatcher carries the kubeconfig's TLS settings.
import { fetch } from "undici";

import { FIELD_MANAGER } from "../api/constants.ts";

/** The REST path of a kind, by apiVersion and kind; only the kinds the operator writes or reads. */
const RESOURCES: Record<string, string> = {
  "apps/v1/Deployment": "deployments",
  "apps/v1/ControllerRevision": "controllerrevisions",
  "v1/Service": "services",
  "v1/PersistentVolumeClaim": "persistentvolumeclaims",
  "v1/Pod": "pods",
  "v1/Event": "events",
  "networking.k8s.io/v1/NetworkPolicy": "networkpolicies",
  "topo.dev/v1alpha1/Topology": "topologies",
  "coordination.k8s.io/v1/Lease": "leases",
};

export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const plural = RESOURCES[`${apiVersion}/${kind}`];
  if (!plural) throw new Error(`no REST path known for ${apiVersion} ${kind}`);
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${plural}${name ? `/${name}` : ""}`;
}

/** An API error with the HTTP status (as `code` and `statusCode`, like client-node's) and Retry-After. */
export class ApiError extends Error {
  readonly code: number;
  readonly statusCode: number;
  readonly reason?: string;
  readonly retryAfterSeconds?: number;
  constructor(message: string, code: number, reason?: string, retryAfterSeconds?: number) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.statusCode = code;
    if (reason) this.reason = reason;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

export async function request<T = unknown>(
  kc: KubeConfig,
  method: "GET" | "PATCH" | "DELETE" | "POST" | "PUT",
  path: string,
  opts: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {},
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server.replace(/\/$/, "") + path);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const conn = await connection(kc, url.toString(), method);
  const headers: Record<string, string> = { ...conn.headers, accept: "application/json" };
  if (opts.body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
  const res = await fetch(url, {
    method,
    headers,
    ...(conn.dispatcher ? { dispatcher: conn.dispatcher } : {}),
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) {
    const retryAfter = Number(res.headers.get("retry-after"));
    throw new ApiError(
      `${method} ${url.pathname}: ${res.status} ${typeof parsed.message === "string" ? parsed.message : res.statusText}`,
      res.status,
      typeof parsed.reason === "string" ? parsed.reason : undefined,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  return parsed as T;
}

interface Obj {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** Server-side apply under the one field manager, forcing ownership, with strict field validation. */
export function serverSideApply<T>(kc: KubeConfig, obj: Obj, opts: { dryRun?: boolean } = {}): Promise<T> {
  const path = resourcePath(obj.apiVersion!, obj.kind, obj.metadata.namespace, obj.metadata.name);
  return request<T>(kc, "PATCH", path, {
    query: {
      fieldManager: FIELD_MANAGER,
      force: "true",
      fieldValidation: "Strict",
      dryRun: opts.dryRun ? "All" : undefined,
    },
    body: obj,
    contentType: "application/apply-patch+yaml",
  });
}

/** Deletes an object in the background; a missing object is already deleted. */
export async function deleteObject(kc: KubeConfig, obj: Obj): Promise<void> {
  const path = resourcePath(obj.apiVersion!, obj.kind, obj.metadata.namespace, obj.metadata.name);
  await request(kc, "DELETE", path, { query: { propagationPolicy: "Background" } }).catch((err: ApiError) => {
    if (err.code !== 404) throw err;
  });
}
