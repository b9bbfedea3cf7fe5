// Plain-JSON requests to the API server with the kubeconfig's credentials. client-node's generic object
// API serializes through its typed models, which silently drops fields whose model name differs from the
// wire name (NetworkPolicyIngressRule.from is `_from` in the model): an applied policy would lose its
// peers and allow everything. Server-side apply, deletes and informer lists therefore go through here.
// Error answers become the typed errors of errors.ts.
import type { KubeConfig } from "./client.ts";
import { connection } from "./connection.ts";
import { apiError } from "./errors.ts";
// undici is client-node's own HTTP client: its dispatcher carries the kubeconfig's TLS settings.
import { fetch } from "undici";

export { resourcePath } from "./resources.ts";

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /**
   * "metadata" asks for the answer as PartialObjectMetadata: the object's metadata alone, which is all a
   * write's caller reads back (its resourceVersion), so that the API server serializes, and this process
   * parses, a fraction of the object. A server that cannot answer so sends the whole object.
   */
  answer?: "object" | "metadata";
}

/** Metadata alone where the server can (Kubernetes' content negotiation), the whole object otherwise. */
export const METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json";

async function send(
  kc: KubeConfig,
  method: "GET" | "PATCH" | "DELETE" | "POST" | "PUT",
  path: string,
  opts: RequestOptions,
  accept: string,
): Promise<{ text: string; url: URL }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server.replace(/\/$/, "") + path);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const conn = await connection(kc, url.toString(), method);
  const headers: Record<string, string> = { ...conn.headers, accept };
  if (opts.body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
  const res = await fetch(url, {
    method,
    headers,
    ...(conn.dispatcher ? { dispatcher: conn.dispatcher } : {}),
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const text = await res.text();
  if (!res.ok) {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // an error answer that is not a Status: its text says what it can
    }
    const retryAfter = Number(res.headers.get("retry-after"));
    const message =
      typeof parsed.message === "string" ? parsed.message : res.statusText || text.slice(0, 200);
    throw apiError(`${method} ${url.pathname}: ${res.status} ${message}`, res.status, {
      ...(typeof parsed.reason === "string" ? { reason: parsed.reason } : {}),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      cause: parsed,
    });
  }
  return { text, url };
}

export async function request<T = unknown>(
  kc: KubeConfig,
  method: "GET" | "PATCH" | "DELETE" | "POST" | "PUT",
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const accept = opts.answer === "metadata" ? METADATA_ONLY : "application/json";
  const { text, url } = await send(kc, method, path, opts, accept);
  try {
    return (text ? JSON.parse(text) : {}) as T;
  } catch (cause) {
    throw new Error(`${method} ${url.pathname}: the answer is not JSON`, { cause });
  }
}

/** A GET whose answer is plain text (a pod's log), with the same credentials and typed errors. */
export async function requestText(kc: KubeConfig, path: string, opts: RequestOptions = {}): Promise<string> {
  return (await send(kc, "GET", path, opts, "text/plain, */*")).text;
}
