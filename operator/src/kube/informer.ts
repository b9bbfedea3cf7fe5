// Informers over client-node's ListWatch: a read cache per kind (and namespace), restarted with backoff
// after an error, relisted by a watchdog when it goes silent, and counted in metrics. Objects are trimmed
// before they are cached (like controller-runtime's cache transforms), so the cache holds what reconcile
// reads and not, say, every object's managedFields, and their strings are pooled (string-pool.ts), so the
// names, uids and images a Topology's children repeat are kept once.
//
// What client-node 2.0's ListWatch and Watch do on their own (dist/cache.js, dist/watch.js), and so what
// is left to do here:
// - Watch aborts a request that delivers no data for `requestTimeoutMs` (30 s; it also bounds the connect)
//   and reports a TimeoutError; ListWatch then reconnects at once from its last resourceVersion and emits
//   `connect`. An idle healthy watch is therefore reconnected at least every 30 s, which is what keeps the
//   watchdog quiet (config.ts refuses a watchdog shorter than twice that).
// - ListWatch asks for no bookmarks: an idle watch resumes from the resourceVersion of its last event or
//   list, older at every reconnect, until the API server's watch cache has moved past it (it keeps 75 s
//   of history, more while the resource type is quiet) and answers 410, and ListWatch relists. On the
//   shared test cluster that was 1 to 3 relists per kind in 13 idle minutes. So each watch here asks for
//   bookmarks and a server-side timeout below client-node's 30 s: the API server sends a bookmark with
//   its current resourceVersion 2 s before that deadline (k8s.io/apiserver cacher, nextBookmarkTime) and
//   ends the watch; ListWatch keeps the bookmark's resourceVersion and reconnects at once.
// - A watch the server ends cleanly is reconnected too (after 1 s, doubling to 30 s until an event arrives),
//   and 410 Gone (as a status or as an ERROR event) clears the resourceVersion, so the next connect relists.
// - Any other error (a reset connection, a 5xx or 403 answer, a failed list) is emitted as `error` and the
//   ListWatch stops for good: restarting it is ours. So is its own abort: `stop()` aborts the request, and
//   the aborted body comes back through `done` as "This operation was aborted", emitted as another `error`
//   after the stop, possibly after a `start()` that follows. Restarting the same ListWatch on that error
//   restarted it again, in a loop (issue 20). Here every restart is a new generation: a new ListWatch whose
//   callbacks are live only while it is current, so nothing a stopped generation reports counts.
// - Its cache starts empty on every start. The cache served here is KindWatch's own, carried over from
//   one generation to the next: it serves while a restart is under way, and a relist changes it only by
//   what changed (objects gone are deleted, unchanged ones emit nothing).
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "./client.ts";
import { request } from "./rest.ts";
import { CACHE_STRINGS } from "./string-pool.ts";

export interface ListRawOptions {
  kind: string;
  apiVersion: string;
  labelSelector?: string;
  /** Trims an object before it is kept (see cache-transform.ts). */
  transform?: (obj: KubernetesObject) => KubernetesObject;
  /** Called before each LIST request (each page). */
  onRequest?: () => void;
}

/**
 * Lists a collection as plain JSON, paging with `limit`/`continue`. client-node's typed list deserializes
 * into model classes (`_from` for `from`, Date objects) while watch events stay plain JSON; an informer
 * cache must hold one shape, and the API server's own shape is what the renderers compare against.
 */
export async function listRaw(
  kc: KubeConfig,
  path: string,
  options: ListRawOptions,
): Promise<KubernetesListObject<KubernetesObject>> {
  const { kind, apiVersion, labelSelector, transform = (o) => o } = options;
  const items: KubernetesObject[] = [];
  let cont: string | undefined;
  let resourceVersion = "";
  do {
    options.onRequest?.();
    const body = await request<{
      items?: KubernetesObject[];
      metadata?: { continue?: string; resourceVersion?: string };
    }>(kc, "GET", path, {
      query: { limit: "500", labelSelector, continue: cont },
    });
    for (const item of body.items ?? []) items.push(transform({ ...item, kind, apiVersion }));
    cont = body.metadata?.continue || undefined;
    resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
  } while (cont);
  return { apiVersion, kind: `${kind}List`, metadata: { resourceVersion }, items };
}

export interface KindSpec {
  kind: string;
  apiVersion: string;
  /** The plural resource name, for the watch path. */
  plural: string;
  labelSelector?: string;
  /** Trims an object before it is cached (see cache-transform.ts); it must keep what reconcile reads. */
  transform?: (obj: KubernetesObject) => KubernetesObject;
  /**
   * Indexes kept beside the cache, as client-go's Indexers: each names the values an object is found by
   * (say, its owners' uids), so `byIndex` answers in the time of what it returns, not of the cache's size.
   */
  indexers?: Record<string, (obj: KubernetesObject) => string[]>;
}

/** Where the lists and watches go: the API server, or a fake one in unit tests. */
export interface ListerWatcher {
  /** Lists the collection at `path`, with kind/apiVersion set and `transform` applied to every item. */
  list(path: string): Promise<KubernetesListObject<KubernetesObject>>;
  /** client-node's `Watch.watch`. */
  watch: Watch["watch"];
}

/** Why an informer was restarted: the `reason` label of topo_watch_restarts_total. */
export type RestartReason = "watch_error" | "list_error" | "silent";

type Listener = (event: "add" | "update" | "delete", obj: KubernetesObject) => void;

export interface WatchOptions {
  kc: KubeConfig;
  spec: KindSpec;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  onEvent: Listener;
  /** A namespace's informer that shows no sign of life (event or reconnect) for this long is restarted. */
  watchdogMs: number;
  onRestart?: (reason: RestartReason) => void;
  /** Called before each LIST request the default client makes (every page of a list). */
  onList?: () => void;
  /** Called before each WATCH request. */
  onWatch?: () => void;
  onCounted?: (event: string) => void;
  log?: { warn(obj: object, msg: string): void; debug?(obj: object, msg: string): void };
  /** The first restart's delay, doubled per failure up to 30 s (default 100 ms). */
  backoffMs?: number;
  /** How long a generation must run after its list for its failures to be forgiven (default 30 s). */
  healthyAfterMs?: number;
  /** Defaults to the API server behind `kc`. */
  client?: ListerWatcher;
}

const MAX_BACKOFF_MS = 30_000;
/** The API server ends each watch after this long (with a bookmark): under client-node's 30 s timeout. */
const WATCH_TIMEOUT_SECONDS = 25;
/** client-node's watch inactivity timeout: a generation that outlived it has reconnected cleanly. */
const HEALTHY_AFTER_MS = 30_000;

/** One ListWatch and what it has shown; only the current generation of a namespace may act. */
interface Generation {
  lw?: ListWatch<KubernetesObject>;
  stopped: boolean;
  /** When its last list succeeded. */
  listedAt?: number;
  listError?: unknown;
  /** How its last watch ended, or the ERROR event it last delivered (why ListWatch relists). */
  lastEnd?: string;
}

/** One watched namespace ("" for all): its cache, its current generation and its restart state. */
interface Slot {
  readonly ns: string;
  /** Objects by their namespace and name. */
  readonly store: Map<string, Map<string, KubernetesObject>>;
  gen?: Generation;
  synced: boolean;
  lastSeen: number;
  failures: number;
  restarting: boolean;
}

const messageOf = (err: unknown) => String((err as Error)?.message ?? err);
const sameVersion = (a: KubernetesObject, b: KubernetesObject) =>
  a.metadata?.resourceVersion !== undefined && a.metadata.resourceVersion === b.metadata?.resourceVersion;

/** One index: objects by value, each by its namespace/name. */
type Index = Map<string, Map<string, KubernetesObject>>;
const keyOf = (obj: KubernetesObject) => `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;

export class KindWatch {
  private readonly slots = new Map<string, Slot>();
  private readonly indices = new Map<string, Index>();
  private readonly listeners: Listener[] = [];
  private readonly client: ListerWatcher;
  private watchdog?: NodeJS.Timeout;
  private stopped = false;

  private readonly o: WatchOptions;

  constructor(options: WatchOptions) {
    this.o = options;
    const { kind, apiVersion, labelSelector } = options.spec;
    for (const name of Object.keys(options.spec.indexers ?? {})) this.indices.set(name, new Map());
    const watch = new Watch(options.kc);
    this.client = options.client ?? {
      list: (path) =>
        listRaw(options.kc, path, {
          kind,
          apiVersion,
          ...(labelSelector !== undefined ? { labelSelector } : {}),
          transform: this.keep,
          ...(options.onList ? { onRequest: options.onList } : {}),
        }),
      watch: (...args) => watch.watch(...args),
    };
  }

  /** An object as the cache keeps it: the spec's transform, then its strings pooled. */
  private readonly keep = (obj: KubernetesObject): KubernetesObject => {
    const { transform } = this.o.spec;
    return CACHE_STRINGS.intern(transform ? transform(obj) : obj);
  };

  private path(ns: string): string {
    const { apiVersion, plural } = this.o.spec;
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return ns === "" ? `${base}/${plural}` : `${base}/namespaces/${ns}/${plural}`;
  }

  async start(): Promise<void> {
    const namespaces = this.o.namespaces.length ? this.o.namespaces : [""];
    for (const ns of namespaces)
      this.slots.set(ns, {
        ns,
        store: new Map(),
        synced: false,
        lastSeen: Date.now(),
        failures: 0,
        restarting: false,
      });
    await Promise.all([...this.slots.values()].map((slot) => this.begin(slot)));
    this.watchdog = setInterval(
      () => {
        for (const slot of this.slots.values())
          if (!slot.restarting && slot.gen && Date.now() - slot.lastSeen > this.o.watchdogMs)
            void this.restart(slot, slot.gen, "silent", "watch silent: relisting");
      },
      Math.max(1000, Math.floor(this.o.watchdogMs / 4)),
    );
    this.watchdog.unref();
  }

  /** Starts a new generation for `slot`: a fresh ListWatch that lists, then watches. */
  private async begin(slot: Slot): Promise<void> {
    const gen: Generation = { stopped: false };
    const live = () => !gen.stopped && !this.stopped;
    const list = async () => {
      if (!live()) throw new Error("stopped");
      if (gen.listedAt !== undefined)
        this.o.log?.debug?.(
          { kind: this.o.spec.kind, namespace: slot.ns || "*", after: gen.lastEnd },
          "relisting: the watch's resourceVersion is gone",
        );
      try {
        const result = await this.client.list(this.path(slot.ns));
        if (!live()) throw new Error("stopped");
        this.replace(slot, result.items);
        gen.listedAt = Date.now();
        slot.synced = true;
        return result;
      } catch (err) {
        gen.listError = err;
        throw err;
      }
    };
    const watch = {
      watch: async (path, query, callback, done) => {
        // A stopped generation's chain (resumed from an await) ends here instead of connecting.
        if (!live()) return new AbortController();
        this.o.onWatch?.();
        let controller: AbortController;
        try {
          controller = await this.client.watch(
            path,
            { ...query, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS },
            (phase, obj, raw) => {
              if (!live()) return;
              if (phase === "ERROR") gen.lastEnd = `ERROR event ${JSON.stringify(obj)}`;
              callback(phase, phase === "ERROR" || phase === "BOOKMARK" ? obj : this.keep(obj), raw);
            },
            (err) => {
              if (!live()) return;
              const status = (err as { statusCode?: number } | null)?.statusCode;
              if (err) gen.lastEnd = status ? `HTTP ${status}` : messageOf(err);
              done(err);
            },
          );
        } catch (err) {
          // Watch.watch throws before its request when the kubeconfig has no cluster or the credentials
          // cannot be read; ListWatch would turn that into an unhandled rejection and a dead informer.
          void this.restart(slot, gen, "watch_error", `watch failed: ${messageOf(err)}`);
          return new AbortController();
        }
        // Stopped while connecting: ListWatch's stop() could not abort a request it did not have yet.
        if (!live()) controller.abort();
        return controller;
      },
    } as Watch;
    const lw = new ListWatch<KubernetesObject>(
      this.path(slot.ns),
      watch,
      list,
      false,
      this.o.spec.labelSelector,
    );
    gen.lw = lw;
    slot.gen = gen;
    const touch = () => (slot.lastSeen = Date.now());
    lw.on("add", (obj) => live() && (touch(), this.upsert(slot, obj)));
    lw.on("update", (obj) => live() && (touch(), this.upsert(slot, obj)));
    lw.on("delete", (obj) => live() && (touch(), this.remove(slot, obj)));
    lw.on("connect", () => live() && touch());
    lw.on("error", (err) => {
      if (!live()) return; // a stopped generation's errors are its own abort, or no longer matter
      const listFailed = err === gen.listError;
      void this.restart(
        slot,
        gen,
        listFailed ? "list_error" : "watch_error",
        `${listFailed ? "list" : "watch"} error: ${messageOf(err)}`,
      );
    });
    touch();
    try {
      await lw.start();
    } catch (err) {
      void this.restart(slot, gen, "watch_error", `start failed: ${messageOf(err)}`);
    }
  }

  /**
   * Replaces `gen`, the slot's current generation, by a new one after an exponential backoff. Only the
   * current generation can ask, and only once: what it reports after this (its own abort) is ignored.
   */
  private async restart(slot: Slot, gen: Generation, reason: RestartReason, detail: string): Promise<void> {
    if (this.stopped || slot.gen !== gen || slot.restarting) return;
    slot.restarting = true;
    gen.stopped = true;
    void gen.lw?.stop().catch(() => undefined);
    // A generation that ran healthy for a while has earned a fresh start: back to the shortest backoff.
    if (
      gen.listedAt !== undefined &&
      Date.now() - gen.listedAt >= (this.o.healthyAfterMs ?? HEALTHY_AFTER_MS)
    )
      slot.failures = 0;
    const attempt = ++slot.failures;
    const delayMs = Math.min(MAX_BACKOFF_MS, (this.o.backoffMs ?? 100) * 2 ** (attempt - 1));
    this.o.onRestart?.(reason);
    this.o.log?.warn(
      { kind: this.o.spec.kind, namespace: slot.ns || "*", reason: detail, attempt, delayMs },
      "restarting informer",
    );
    await new Promise((r) => setTimeout(r, delayMs).unref()); // a pending restart keeps no process alive
    slot.restarting = false;
    if (this.stopped) return;
    await this.begin(slot);
  }

  /** A relist: objects the list no longer has are deleted; ListWatch then adds the rest. */
  private replace(slot: Slot, items: KubernetesObject[]): void {
    const listed = new Set(items.map((o) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`));
    for (const [ns, byName] of slot.store)
      for (const obj of [...byName.values()])
        if (!listed.has(`${ns}/${obj.metadata?.name ?? ""}`)) this.remove(slot, obj);
  }

  private upsert(slot: Slot, obj: KubernetesObject): void {
    const ns = obj.metadata?.namespace ?? "";
    const name = obj.metadata?.name ?? "";
    let byName = slot.store.get(ns);
    if (!byName) slot.store.set(ns, (byName = new Map()));
    const old = byName.get(name);
    if (old && sameVersion(old, obj)) return; // a relist of an object that did not change
    byName.set(name, obj);
    if (old) this.unindex(old);
    this.index(obj);
    this.emit(old ? "update" : "add", obj);
  }

  private remove(slot: Slot, obj: KubernetesObject): void {
    const ns = obj.metadata?.namespace ?? "";
    const byName = slot.store.get(ns);
    const old = byName?.get(obj.metadata?.name ?? "");
    if (!byName || !old) return;
    byName.delete(obj.metadata?.name ?? "");
    if (byName.size === 0) slot.store.delete(ns);
    this.unindex(old);
    this.emit("delete", obj);
  }

  private index(obj: KubernetesObject): void {
    for (const [name, index] of this.indices)
      for (const value of this.o.spec.indexers![name]!(obj)) {
        let objects = index.get(value);
        if (!objects) index.set(value, (objects = new Map()));
        objects.set(keyOf(obj), obj);
      }
  }

  /** Removes `obj`, as it was cached, from every index (the values it was indexed by are its own). */
  private unindex(obj: KubernetesObject): void {
    for (const [name, index] of this.indices)
      for (const value of this.o.spec.indexers![name]!(obj)) {
        const objects = index.get(value);
        objects?.delete(keyOf(obj));
        if (objects?.size === 0) index.delete(value);
      }
  }

  private emit(event: "add" | "update" | "delete", obj: KubernetesObject): void {
    try {
      this.o.onCounted?.(event);
      this.o.onEvent(event, obj);
      for (const l of this.listeners) l(event, obj);
    } catch (err) {
      // client-node swallows what a watch callback throws, and rejects its list with it: neither helps.
      this.o.log?.warn({ kind: this.o.spec.kind, err: messageOf(err) }, "informer event handler failed");
    }
  }

  /** Calls `listener` on every later event, beside the `onEvent` the watch was made with. */
  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** True once every namespace has listed; it stays true through restarts (the cache keeps serving). */
  get isSynced(): boolean {
    return this.slots.size > 0 && [...this.slots.values()].every((s) => s.synced);
  }

  private slotOf(namespace: string): Slot | undefined {
    return this.slots.get(namespace) ?? this.slots.get("");
  }

  get(namespace: string, name: string): KubernetesObject | undefined {
    return this.slotOf(namespace)?.store.get(namespace)?.get(name);
  }

  list(namespace: string): KubernetesObject[] {
    return [...(this.slotOf(namespace)?.store.get(namespace)?.values() ?? [])];
  }

  /** The cached objects that index `name` (one of the spec's indexers) maps to `value`. */
  byIndex(name: string, value: string): KubernetesObject[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`${this.o.spec.kind} informer has no index "${name}"`);
    return [...(index.get(value)?.values() ?? [])];
  }

  all(): KubernetesObject[] {
    return [...this.slots.values()].flatMap((s) => [...s.store.values()].flatMap((m) => [...m.values()]));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await Promise.all(
      [...this.slots.values()].map((s) => {
        if (s.gen) s.gen.stopped = true;
        return s.gen?.lw?.stop().catch(() => undefined);
      }),
    );
  }
}
