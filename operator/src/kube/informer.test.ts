// KindWatch's restart bookkeeping over client-node's real ListWatch, with a fake API server behind the
// ListerWatcher seam. The fake ends a watch as client-node's Watch does: an aborted request comes back
// through `done` as "This operation was aborted", after the abort (dist/watch.js). The e2e test
// test/e2e/operator/watch-restarts.test.ts holds the same behaviour against the real API server.
import { KubeConfig } from "./client.ts";
import { KindWatch, type ListerWatcher, type RestartReason, type WatchOptions } from "./informer.ts";
import type { KubernetesObject } from "./client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface FakeWatch {
  path: string;
  query: Record<string, unknown>;
  callback: (phase: string, obj: KubernetesObject) => void;
  end(err: unknown): void;
  ended: boolean;
  endedWith?: unknown;
}

/** An API server's collections, lists and watches, in memory. */
class FakeApi implements ListerWatcher {
  readonly objects = new Map<string, KubernetesObject>();
  readonly watches: FakeWatch[] = [];
  readonly listPaths: string[] = [];
  failLists = 0;
  failWatchCalls = 0;
  private rv = 1;

  async list(path: string) {
    this.listPaths.push(path);
    await sleep(1);
    if (this.failLists > 0) {
      this.failLists--;
      throw new Error("connect ECONNREFUSED");
    }
    const ns = path.match(/namespaces\/([^/]+)/)?.[1];
    const items = [...this.objects.values()].filter((o) => !ns || o.metadata!.namespace === ns);
    return { metadata: { resourceVersion: String(this.rv) }, items };
  }

  watch: ListerWatcher["watch"] = async (path, query, callback, done) => {
    await sleep(1);
    if (this.failWatchCalls > 0) {
      this.failWatchCalls--;
      throw new Error("No currently active cluster");
    }
    const controller = new AbortController();
    const w: FakeWatch = {
      path,
      query,
      callback,
      ended: false,
      end: (err) => {
        if (w.ended) return;
        w.ended = true;
        w.endedWith = err;
        controller.abort();
        done(err);
      },
    };
    controller.signal.addEventListener("abort", () =>
      setImmediate(() => w.end(new DOMException("This operation was aborted", "AbortError"))),
    );
    this.watches.push(w);
    return controller;
  };

  get open(): FakeWatch[] {
    return this.watches.filter((w) => !w.ended);
  }

  put(namespace: string, name: string, data: Record<string, string> = {}): void {
    const existed = this.objects.has(`${namespace}/${name}`);
    const obj = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace, name, resourceVersion: String(++this.rv) },
      data,
    };
    this.objects.set(`${namespace}/${name}`, obj);
    for (const w of this.open) if (this.sees(w, namespace)) w.callback(existed ? "MODIFIED" : "ADDED", obj);
  }

  delete(namespace: string, name: string): void {
    const obj = this.objects.get(`${namespace}/${name}`)!;
    this.objects.delete(`${namespace}/${name}`);
    this.rv++;
    for (const w of this.open) if (this.sees(w, namespace)) w.callback("DELETED", obj);
  }

  /** Every open watch ends with `err`, as when the connection breaks. */
  breakWatches(err: unknown = new TypeError("terminated")): void {
    for (const w of this.open) w.end(err);
  }

  private sees(w: FakeWatch, namespace: string): boolean {
    return !w.path.includes("/namespaces/") || w.path.includes(`/namespaces/${namespace}/`);
  }
}

interface Seen {
  events: [string, string][];
  restarts: RestartReason[];
  attempts: number[];
  watch: KindWatch;
}

function start(api: FakeApi, options: Partial<WatchOptions> = {}): Seen & { started: Promise<void> } {
  const seen: Seen = { events: [], restarts: [], attempts: [], watch: undefined as unknown as KindWatch };
  seen.watch = new KindWatch({
    kc: new KubeConfig(),
    spec: { kind: "ConfigMap", apiVersion: "v1", plural: "configmaps" },
    namespaces: ["a"],
    watchdogMs: 600_000,
    backoffMs: 10,
    client: api,
    onEvent: (ev, obj) => seen.events.push([ev, obj.metadata!.name!]),
    onRestart: (reason) => seen.restarts.push(reason),
    log: { warn: (fields) => seen.attempts.push((fields as { attempt: number }).attempt) },
    ...options,
  });
  return { ...seen, started: seen.watch.start() } as Seen & { started: Promise<void> };
}

describe("KindWatch", () => {
  const running: KindWatch[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.stop()));
  });
  const run = async (api: FakeApi, options: Partial<WatchOptions> = {}) => {
    const s = start(api, options);
    running.push(s.watch);
    await s.started;
    await until("the first watch", () => api.open.length === (options.namespaces?.length ?? 1));
    return s;
  };

  it("lists once, serves its cache and emits each change once", async () => {
    const api = new FakeApi();
    api.put("a", "one");
    const s = await run(api);
    expect(s.watch.isSynced).toBe(true);
    api.put("a", "two");
    api.put("a", "one", { k: "v" });
    api.delete("a", "two");
    expect(s.events).toEqual([
      ["add", "one"],
      ["add", "two"],
      ["update", "one"],
      ["delete", "two"],
    ]);
    expect(s.watch.get("a", "one")).toMatchObject({ data: { k: "v" } });
    expect(s.watch.list("a").map((o) => o.metadata!.name)).toEqual(["one"]);
    expect(api.listPaths).toEqual(["/api/v1/namespaces/a/configmaps"]);
  });

  it("keeps its indexes with the cache: added, changed, deleted, and what a relist drops", async () => {
    const api = new FakeApi();
    api.put("a", "one", { owners: "x" });
    const owners = (o: KubernetesObject) =>
      ((o as { data?: { owners?: string } }).data?.owners ?? "").split(",").filter(Boolean);
    const s = await run(api, {
      spec: { kind: "ConfigMap", apiVersion: "v1", plural: "configmaps", indexers: { owner: owners } },
    });
    const by = (v: string) => s.watch.byIndex("owner", v).map((o) => o.metadata!.name);
    api.put("a", "two", { owners: "x,y" });
    api.put("a", "three", { owners: "y" });
    expect([by("x"), by("y"), by("z")]).toEqual([["one", "two"], ["two", "three"], []]);
    api.put("a", "one", { owners: "y" }); // moved from x to y
    api.delete("a", "three");
    expect([by("x"), by("y")]).toEqual([["two"], ["two", "one"]]);
    // Deleted while the watch is down: the relist removes it from the cache and from the index.
    api.breakWatches();
    api.objects.delete("a/two");
    await until("the relist", () => api.listPaths.length === 2 && s.watch.list("a").length === 1);
    expect([by("x"), by("y")]).toEqual([[], ["one"]]);
    expect(() => s.watch.byIndex("label", "x")).toThrow('ConfigMap informer has no index "label"');
  });

  it("restarts once after a broken watch, relists once, and its own abort of the old watch is not another restart", async () => {
    const api = new FakeApi();
    api.put("a", "one");
    const s = await run(api);
    api.breakWatches();
    await until("the new watch", () => api.open.length === 1 && api.watches.length === 2);
    await sleep(100); // ten first backoffs: a restart that restarted itself would have done so by now
    expect(s.restarts).toEqual(["watch_error"]);
    expect(api.listPaths).toHaveLength(2);
    expect(api.watches).toHaveLength(2);
    // Nothing changed while it was down: the relist emits nothing.
    expect(s.events).toEqual([["add", "one"]]);
  });

  it("a watchdog restart of a live, silent watch is one restart: the abort it causes is ignored", async () => {
    const api = new FakeApi();
    const s = await run(api, { watchdogMs: 1500 }); // checked every second: fires on the 2nd check
    await until("the watchdog", () => s.restarts.length > 0, 4000);
    await until("the new watch", () => api.open.length === 1 && api.watches.length === 2);
    const old = api.watches[0]!;
    await until("the old watch's abort to come back", () => old.ended);
    expect((old.endedWith as Error).name).toBe("AbortError");
    await sleep(300); // well before the next watchdog check could find the new watch silent
    expect(s.restarts).toEqual(["silent"]);
    expect(api.listPaths).toHaveLength(2);
  });

  it("is kept quiet by client-node's idle reconnects, which relist nothing and restart nothing", async () => {
    const api = new FakeApi();
    const s = await run(api, { watchdogMs: 1500 });
    const timeout = () => new DOMException("The operation was aborted due to timeout", "TimeoutError");
    for (let i = 0; i < 6; i++) {
      await sleep(400);
      api.breakWatches(timeout()); // client-node's 30 s inactivity timeout, sped up
      await until("the reconnect", () => api.open.length === 1);
    }
    expect(s.restarts).toEqual([]);
    expect(api.listPaths).toHaveLength(1);
    expect(api.watches.length).toBe(7);
    // ListWatch reconnects from the resourceVersion it has, without a list.
    expect(api.watches.at(-1)!.query.resourceVersion).toBe(api.watches[0]!.query.resourceVersion);
  });

  it("asks for bookmarks and a server-side timeout, and resumes from the bookmark when the server ends the watch", async () => {
    const api = new FakeApi();
    api.put("a", "one");
    const s = await run(api);
    expect(api.watches[0]!.query).toMatchObject({ allowWatchBookmarks: true, timeoutSeconds: 25 });
    expect(api.watches[0]!.query.resourceVersion).toBe("2");
    // The rest of the cluster moved on; the API server's bookmark says how far, then it ends the watch.
    for (const n of ["x", "y", "z"]) api.put("other", n);
    api.watches[0]!.callback("BOOKMARK", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { resourceVersion: "5" },
    });
    api.watches[0]!.end(null);
    await until("the reconnect", () => api.open.length === 1 && api.watches.length === 2);
    expect(api.watches[1]!.query.resourceVersion).toBe("5");
    expect(api.listPaths).toHaveLength(1);
    expect(s.restarts).toEqual([]);
    expect(s.events).toEqual([["add", "one"]]);
  });

  it("backs off longer while relists fail, and forgives the failures once a generation has been healthy", async () => {
    const api = new FakeApi();
    const s = await run(api, { healthyAfterMs: 150 });
    api.failLists = 3;
    api.breakWatches();
    await until("the watch back", () => api.open.length === 1 && api.listPaths.length === 5);
    expect(s.restarts).toEqual(["watch_error", "list_error", "list_error", "list_error"]);
    expect(s.attempts).toEqual([1, 2, 3, 4]);
    // Broken again before it has been healthy: the count goes on.
    api.breakWatches();
    await until("the watch back", () => api.open.length === 1 && api.listPaths.length === 6);
    expect(s.attempts).toEqual([1, 2, 3, 4, 5]);
    // Broken after it ran healthy: back to the first, shortest backoff.
    await sleep(200);
    api.breakWatches();
    await until("the watch back", () => api.open.length === 1 && api.listPaths.length === 7);
    expect(s.attempts).toEqual([1, 2, 3, 4, 5, 1]);
  });

  it("keeps serving its cache during a restart; the relist deletes what went away and updates what changed", async () => {
    const api = new FakeApi();
    for (const n of ["one", "two", "three"]) api.put("a", n);
    const s = await run(api, { backoffMs: 200 });
    api.breakWatches();
    // Down: the API server changes with no watch to tell.
    api.delete("a", "two");
    api.put("a", "three", { k: "v" });
    expect(s.watch.list("a").map((o) => o.metadata!.name)).toEqual(["one", "two", "three"]);
    expect(s.watch.isSynced).toBe(true);
    await until("the relist", () => api.listPaths.length === 2 && api.open.length === 1);
    expect(s.events.slice(3)).toEqual([
      ["delete", "two"],
      ["update", "three"],
    ]);
    expect(s.watch.get("a", "three")).toMatchObject({ data: { k: "v" } });
    expect(s.watch.get("a", "two")).toBeUndefined();
  });

  it("drops what a stopped generation still delivers", async () => {
    const api = new FakeApi();
    const s = await run(api, { backoffMs: 200 });
    const old = api.watches[0]!;
    api.breakWatches();
    old.callback("ADDED", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace: "a", name: "ghost", resourceVersion: "99" },
    });
    expect(s.watch.get("a", "ghost")).toBeUndefined();
    expect(s.events).toEqual([]);
  });

  it("restarts each namespace on its own, once each", async () => {
    const api = new FakeApi();
    api.put("a", "one");
    api.put("b", "two");
    const s = await run(api, { namespaces: ["a", "b"] });
    api.breakWatches();
    await until("both watches back", () => api.open.length === 2 && api.watches.length === 4);
    await sleep(100);
    expect(s.restarts).toEqual(["watch_error", "watch_error"]);
    expect([...api.listPaths].sort()).toEqual([
      "/api/v1/namespaces/a/configmaps",
      "/api/v1/namespaces/a/configmaps",
      "/api/v1/namespaces/b/configmaps",
      "/api/v1/namespaces/b/configmaps",
    ]);
    expect(s.watch.all().map((o) => o.metadata!.name)).toEqual(["one", "two"]);
  });

  it("restarts a watch that could not be started rather than leaving a dead informer", async () => {
    const api = new FakeApi();
    api.failWatchCalls = 1;
    const s = start(api);
    running.push(s.watch);
    await s.started;
    await until("a watch", () => api.open.length === 1);
    expect(s.restarts).toEqual(["watch_error"]);
    expect(api.listPaths).toHaveLength(2);
  });

  it("makes no request once stopped", async () => {
    const api = new FakeApi();
    const s = await run(api);
    await s.watch.stop();
    api.breakWatches();
    await sleep(50);
    expect(s.restarts).toEqual([]);
    expect(api.listPaths).toHaveLength(1);
    expect(api.watches).toHaveLength(1);
  });
});
