// One HTTP connection pool per cluster identity. client-node's applySecurityAuthentication builds a new
// undici Agent on every call, so every request opened (and TLS-negotiated) a connection of its own: at
// 200 topologies the operator held ~100 sessions at once, and the API server spent its CPU on handshakes.
// Here the dispatcher is kept for as long as the TLS material and proxy settings stay the same, and the
// credentials are read again every CREDENTIALS_TTL_MS (tokens rotate: exec plugins, projected service-account
// tokens), as client-go's cached token file source does, not on every request: reading them reads the
// kubeconfig's certificate and token files from disk, and at 200 topologies that was 4% of the operator's CPU.
import { createHash } from "node:crypto";
import type { AgentOptions, RequestOptions } from "node:https";
import { Agent, ProxyAgent, type Dispatcher } from "undici";
import { HttpMethod, RequestContext, type KubeConfig } from "./client.ts";

export interface Connection {
  headers: Record<string, string>;
  dispatcher?: Dispatcher;
}

const pools = new WeakMap<KubeConfig, { key: string; dispatcher: Dispatcher }>();

/** How long credentials read from a kubeconfig are used before they are read again. client-go keeps a
 * token read from a file for a minute; a projected service-account token is refreshed long before it
 * expires (at 80% of its life, an hour at least), so ten seconds is well inside either. */
export const CREDENTIALS_TTL_MS = 10_000;
const fresh = new WeakMap<KubeConfig, { at: number; conn: Connection }>();

/** The TLS options client-node's applySecurityAuthentication hands its Agent (see its config.js). */
function agentOptionsOf(opts: RequestOptions): AgentOptions {
  return {
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    pfx: opts.pfx,
    passphrase: opts.passphrase,
    ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
    ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
  };
}

/** A digest of the dispatcher settings; TLS material is hashed as bytes (JSON would spell out every byte). */
function keyOf(value: unknown, hash = createHash("sha256")): string {
  const walk = (v: unknown): void => {
    if (Buffer.isBuffer(v)) hash.update(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) {
        hash.update(`${k}:`);
        walk(x);
      }
    else hash.update(`${JSON.stringify(v) ?? "undefined"};`);
  };
  walk(value);
  return hash.digest("hex");
}

/** Request headers with credentials at most CREDENTIALS_TTL_MS old, and the cluster's shared dispatcher. */
export async function connection(
  kc: KubeConfig,
  url: string,
  method: keyof typeof HttpMethod,
  now: () => number = Date.now,
): Promise<Connection> {
  const cached = fresh.get(kc);
  if (cached && now() - cached.at < CREDENTIALS_TTL_MS) return cached.conn;
  const at = now();
  const conn = await read(kc, url, method);
  // A SOCKS proxy's dispatcher is made per request (below), so it is not kept.
  if (conn.dispatcher === undefined || pools.get(kc)?.dispatcher === conn.dispatcher)
    fresh.set(kc, { at, conn });
  return conn;
}

async function read(kc: KubeConfig, url: string, method: keyof typeof HttpMethod): Promise<Connection> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
  const d = kc.createDispatcherOptions(kc.getCurrentCluster(), agentOptionsOf(opts));
  if (d.type === "none") return { headers };
  if (d.type === "socks") {
    // Rare enough to keep client-node's own path: a dispatcher per request.
    const ctx = new RequestContext(url, HttpMethod[method]);
    await kc.applySecurityAuthentication(ctx);
    const dispatcher = ctx.getDispatcher() as Dispatcher | undefined;
    return { headers: { ...ctx.getHeaders(), ...headers }, ...(dispatcher ? { dispatcher } : {}) };
  }
  const key = keyOf(d);
  const pool = pools.get(kc);
  if (pool?.key === key) return { headers, dispatcher: pool.dispatcher };
  const dispatcher =
    d.type === "proxy"
      ? new ProxyAgent({ uri: d.uri, requestTls: d.requestTls, connect: d.connect })
      : new Agent({ connect: d.connect });
  pools.set(kc, { key, dispatcher });
  // In-flight requests on the old pool finish; it closes when they have.
  void pool?.dispatcher.close().catch(() => undefined);
  return { headers, dispatcher };
}
