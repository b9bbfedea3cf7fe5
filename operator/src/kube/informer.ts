// Informers over client-node's ListWatch: a read cache per kind (and namespace), restarted with backoff
// after an error, relisted by a watchdog when it goes silent, and counted in metrics. Objects are trimmed
// before they are cached (like controller-runtime's cache transforms), so the cache holds what reconcile
// reads and not, say, every object's managedFields.
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "./client.ts";
import { request } from "./rest.ts";

/**
 * Lists a collection as plain JSON, paging with `limit`/`continue`. client-node's typed list deserializes
 * into model classes (`_from` for `from`, Date objects) while watch events stay plain JSON; an informer
 * cache must hold one shape, and the API server's own shape is what the renderers compare against.
 */
export async function listRaw(
  kc: KubeConfig,
  path: string,
  kind: string,
  apiVersion: string,
  labelSelector?: string,
  transform: (obj: KubernetesObject) => KubernetesObject = (o) => o,
): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = [];
  let cont: string | undefined;
  let resourceVersion = "";
  do {
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
}

export interface WatchOptions {
  kc: KubeConfig;
  spec: KindSpec;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  onEvent: (event: "add" | "update" | "delete", obj: KubernetesObject) => void;
  watchdogMs: number;
  onRestart?: (reason: string) => void;
  onCounted?: (event: string) => void;
  log?: { warn(obj: object, msg: string): void };
}

type Inf = ListWatch<KubernetesObject>;

/** client-node's Watch, with every object it delivers passed through `transform` first. */
function transformingWatch(kc: KubeConfig, transform: (obj: KubernetesObject) => KubernetesObject): Watch {
  const inner = new Watch(kc);
  return {
    watch: (path, query, callback, done) =>
      inner.watch(
        path,
        query,
        (phase, obj, raw) => callback(phase, phase === "ERROR" ? obj : transform(obj), raw),
        done,
      ),
  } as Watch;
}

export class KindWatch {
  private readonly informers = new Map<string, Inf>();
  private readonly lastEvent = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly synced = new Set<string>();
  private readonly listeners: ((event: "add" | "update" | "delete", obj: KubernetesObject) => void)[] = [];
  private watchdog?: NodeJS.Timeout;
  private stopped = false;

  private readonly o: WatchOptions;

  constructor(options: WatchOptions) {
    this.o = options;
  }

  private path(ns: string): string {
    const { apiVersion, plural } = this.o.spec;
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return ns === "" ? `${base}/${plural}` : `${base}/namespaces/${ns}/${plural}`;
  }

  async start(): Promise<void> {
    const namespaces = this.o.namespaces.length ? this.o.namespaces : [""];
    await Promise.all(
      namespaces.map(async (ns) => {
        const { kind, apiVersion, labelSelector, transform = (o: KubernetesObject) => o } = this.o.spec;
        // The cache is synced once a list has succeeded; a failed list leaves it unsynced (not ready).
        const list = async () => {
          const result = await listRaw(this.o.kc, this.path(ns), kind, apiVersion, labelSelector, transform);
          this.synced.add(ns);
          this.failures.delete(ns);
          return result;
        };
        const inf: Inf = new ListWatch(
          this.path(ns),
          transformingWatch(this.o.kc, transform),
          list,
          false,
          labelSelector,
        );
        const touch = () => this.lastEvent.set(ns, Date.now());
        for (const ev of ["add", "update", "delete"] as const) {
          inf.on(ev, (obj) => {
            touch();
            this.o.onCounted?.(ev);
            this.o.onEvent(ev, obj);
            for (const l of this.listeners) l(ev, obj);
          });
        }
        inf.on("connect", touch);
        inf.on("error", (err) => this.restart(ns, `watch error: ${String((err as Error)?.message ?? err)}`));
        this.informers.set(ns, inf);
        touch();
        await inf.start();
      }),
    );
    this.watchdog = setInterval(
      () => {
        for (const [ns, at] of this.lastEvent)
          if (Date.now() - at > this.o.watchdogMs) void this.restart(ns, "watch silent: relisting");
      },
      Math.max(1000, Math.floor(this.o.watchdogMs / 4)),
    );
    this.watchdog.unref();
  }

  /** Restarts one namespace's informer after an exponential backoff (relist and rewatch). */
  private async restart(ns: string, reason: string): Promise<void> {
    if (this.stopped) return;
    const inf = this.informers.get(ns);
    if (!inf) return;
    const n = this.failures.get(ns) ?? 0;
    this.failures.set(ns, n + 1);
    this.lastEvent.set(ns, Date.now() + 60_000); // no watchdog restart while this one is pending
    this.o.onRestart?.(reason);
    this.o.log?.warn(
      { kind: this.o.spec.kind, namespace: ns || "*", reason, attempt: n + 1 },
      "restarting informer",
    );
    await new Promise((r) => setTimeout(r, Math.min(30_000, 100 * 2 ** n)));
    try {
      await inf.stop();
    } catch {
      // already stopped
    }
    if (this.stopped) return;
    try {
      await inf.start();
      this.lastEvent.set(ns, Date.now());
    } catch (err) {
      void this.restart(ns, `relist failed: ${String((err as Error).message)}`);
    }
  }

  /** Calls `listener` on every later event, beside the `onEvent` the watch was made with. */
  subscribe(listener: (event: "add" | "update" | "delete", obj: KubernetesObject) => void): void {
    this.listeners.push(listener);
  }

  get isSynced(): boolean {
    return this.informers.size > 0 && [...this.informers.keys()].every((ns) => this.synced.has(ns));
  }

  get(namespace: string, name: string): KubernetesObject | undefined {
    return (this.informers.get(namespace) ?? this.informers.get(""))?.get(name, namespace);
  }

  list(namespace: string): KubernetesObject[] {
    return [...((this.informers.get(namespace) ?? this.informers.get(""))?.list(namespace) ?? [])];
  }

  all(): KubernetesObject[] {
    return [...this.informers.values()].flatMap((i) => i.list());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await Promise.all([...this.informers.values()].map((i) => i.stop().catch(() => undefined)));
  }
}
