// The operator's watches, counted by its own /metrics, over an idle stretch and after its connections to
// the API server are killed (issue 20: a watchdog restart restarted itself, 104 times in 2.5 minutes). The
// operator reaches the real API server through a TCP proxy in this test (node:net) that can destroy every
// connection at once, as a broken network or a load balancer would; the shared cluster is not touched.
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { WATCHED } from "../../../operator/src/controller/manager.ts";
import { record } from "../support/measure.ts";
import {
  applyTopology,
  createNamespace,
  freePort,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "./harness.ts";

const KINDS = WATCHED.map((s) => s.kind);

/** A TCP proxy to the API server that can kill every connection through it. */
class KillingProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();

  constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const end = () => {
        if (!this.pairs.delete(pair)) return;
        client.destroy();
        upstream.destroy();
      };
      for (const s of pair) s.on("close", end).on("error", end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as { port: number }).port)),
    );
  }

  /** Destroys every connection; new ones are let through as before. */
  kill(): number {
    const n = this.pairs.size;
    for (const [client, upstream] of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    return n;
  }

  close(): Promise<void> {
    this.kill();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A copy of the current kubeconfig whose cluster is reached through `port` on 127.0.0.1. */
function kubeconfigThrough(port: number): string {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const current = kc.getCurrentCluster()!;
  const url = new URL(current.server);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const proxied = new KubeConfig();
  proxied.loadFromOptions({
    clusters: kc.clusters.map((c) =>
      c.name !== current.name
        ? c
        : {
            ...c,
            server: `https://127.0.0.1:${port}`,
            // The certificate names the real server: verify it against that name, not the proxy's.
            ...(isIP(host) || c.tlsServerName ? {} : { tlsServerName: host }),
          },
    ),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.getCurrentContext(),
  });
  const file = join(mkdtempSync(join(tmpdir(), "topo-proxy-")), "kubeconfig.json");
  writeFileSync(file, proxied.exportConfig());
  return file;
}

function apiServer(): { host: string; port: number } {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const url = new URL(kc.getCurrentCluster()!.server);
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 443) };
}

/** One counter's values by kind, from Prometheus text (summed over its other labels). */
function byKind(metrics: string, name: string): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(KINDS.map((k) => [k, 0]));
  for (const line of metrics.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const kind = line.match(/kind="([^"]+)"/)?.[1];
    if (kind) out[kind] = (out[kind] ?? 0) + Number(line.trim().split(/\s+/).at(-1));
  }
  return out;
}

interface Counts {
  restarts: Record<string, number>;
  lists: Record<string, number>;
  watches: Record<string, number>;
  events: Record<string, number>;
}
async function counts(op: OperatorProcess): Promise<Counts> {
  const m = await op.metrics();
  return {
    restarts: byKind(m, "topo_watch_restarts_total"),
    lists: byKind(m, "topo_list_requests_total"),
    watches: byKind(m, "topo_watch_requests_total"),
    events: byKind(m, "topo_watch_events_total"),
  };
}
const each = (n: number) => Object.fromEntries(KINDS.map((k) => [k, n]));
const plus = (a: Record<string, number>, n: number) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + n]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every kind's watch has been open for a while and has a while to run before the API server
 * ends it (KindWatch asks for 25 s), so that a kill finds each of them connected rather than reconnecting.
 */
async function betweenReconnects(op: OperatorProcess): Promise<void> {
  const startedAt: Record<string, number> = {};
  let last = (await counts(op)).watches;
  await waitFor(
    "every watch between two reconnects",
    async () => {
      const now = Date.now();
      const watches = (await counts(op)).watches;
      for (const k of KINDS) if (watches[k] !== last[k]) startedAt[k] = now;
      last = watches;
      return KINDS.every(
        (k) => startedAt[k] !== undefined && now - startedAt[k] > 2000 && now - startedAt[k] < 15_000,
      );
    },
    90_000,
    200,
  );
}

const spec = (image: string) => ({
  nodes: [
    { name: "db", image: "svc:1", ports: [{ name: "pg", port: 5432 }] },
    { name: "api", image, ports: [{ name: "http", port: 80 }], dependsOn: ["db"] },
  ],
});

describe("the operator's watches", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let proxy: KillingProxy;
  let op: OperatorProcess;
  let dashboard: number;

  beforeAll(async () => {
    ns = await createNamespace("topo-watch");
    proxy = new KillingProxy(apiServer());
    const kubeconfig = kubeconfigThrough(await proxy.listen());
    dashboard = await freePort();
    op = await startOperator({
      namespace: ns.name,
      // The shortest watchdog config.ts accepts: twice client-node's 30 s reconnect of an idle watch.
      env: { KUBECONFIG: kubeconfig, TOPO_WATCHDOG_SECONDS: "60", TOPO_DASHBOARD_PORT: String(dashboard) },
    });
    await applyTopology(topology(ns.name, "lab", spec("svc:1")));
    await waitForPhase(ns.name, "lab", "Ready");
  });
  /** Rethrows `err` with the counts and the operator's informer log lines. */
  const explain = async (err: Error): Promise<never> => {
    const lines = op
      .logs()
      .split("\n")
      .filter((l) => /informer|relisting/.test(l));
    err.message += `\n${JSON.stringify(await counts(op))}\n${lines.slice(-30).join("\n")}`;
    throw err;
  };
  afterAll(async () => {
    await op?.stop("SIGKILL");
    await proxy?.close();
    await ns?.remove();
  });

  it("stays idle for 75 s with the shortest watchdog: no restart and no LIST beyond the first one per kind", async () => {
    const before = await counts(op);
    expect(before.lists).toEqual(each(1));
    await sleep(75_000);
    const after = await counts(op);
    record("watches over an idle stretch (watchdog 60 s)", {
      seconds: 75,
      restarts: JSON.stringify(after.restarts),
      lists: JSON.stringify(after.lists),
      watchRequests: JSON.stringify(after.watches),
    });
    expect(after.restarts).toEqual(each(0));
    expect(after.lists).toEqual(each(1));
    // What kept the watchdog quiet: client-node reconnected every idle watch (every 30 s), from its
    // resourceVersion, without a list.
    for (const kind of KINDS) expect(after.watches[kind]).toBeGreaterThan(before.watches[kind]!);
    expect(op.logs()).not.toContain("restarting informer");
  });

  it("after its connections are killed: one restart and one LIST per kind, the cache serves, a later change converges", async () => {
    const before = await counts(op);
    await betweenReconnects(op);
    const killed = proxy.kill();
    const killedAt = Date.now();
    expect(killed).toBeGreaterThanOrEqual(KINDS.length);
    await waitFor("every kind restarted and relisted", async () => {
      const c = await counts(op);
      return KINDS.every((k) => c.restarts[k]! >= 1 && c.lists[k]! >= 2) ? c : undefined;
    }).catch(explain);
    const restartedIn = (Date.now() - killedAt) / 1000;
    // Past one client-node reconnect interval: a restart that restarts itself would show by now.
    await sleep(35_000);
    const after = await counts(op);
    record("watches after a killed connection", {
      restartedInSeconds: restartedIn,
      connectionsKilled: killed,
      restarts: JSON.stringify(after.restarts),
      lists: JSON.stringify(after.lists),
    });
    try {
      expect(after.restarts).toEqual(plus(before.restarts, 1));
      expect(after.lists).toEqual(plus(before.lists, 1));
      // Nothing changed while the watches were down: the relists emitted no event (no reconcile for nothing).
      expect(after.events).toEqual(before.events);
    } catch (err) {
      await explain(err as Error);
    }
    expect(await op.metrics()).toMatch(/topo_watch_restarts_total\{kind="Topology",reason="watch_error"\} 1/);

    // The caches kept what they had: ready, and the dashboard (which reads the Topology cache) serves it.
    expect((await fetch(`http://127.0.0.1:${op.port}/readyz`)).status).toBe(200);
    const cached = (await (
      await fetch(`http://127.0.0.1:${dashboard}/api/topologies/${ns.name}/lab`)
    ).json()) as { name?: string; phase?: string };
    expect(cached).toMatchObject({ name: "lab", phase: "Ready" });

    // And the restarted watches deliver: a later change converges.
    await applyTopology(topology(ns.name, "lab", spec("svc:2")));
    const t = await waitFor("revision 2 Ready", async () => {
      const x = await readTopology(ns.name, "lab");
      return x.status?.phase === "Ready" && x.status.revision === 2 ? x : undefined;
    });
    expect(t.status).toMatchObject({ readyNodes: "2/2", lastGoodRevision: 2 });
    const images = (await listOwned(ns.name, "Deployment", "apps/v1", "lab")).map(
      (d) =>
        (d as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template
          .spec.containers[0]!.image,
    );
    expect(images.sort()).toEqual(["svc:1", "svc:2"]); // db unchanged, api on the new image
    const end = await counts(op);
    expect(end.restarts).toEqual(after.restarts);
    expect(end.lists).toEqual(after.lists);
  });
});
