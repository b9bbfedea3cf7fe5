// Wires informers, the work queue, reconcile and leader election into one running controller.
import pLimit from "p-limit";
import type { KubeConfig, KubernetesObject } from "../kube/client.ts";
import {
  API_VERSION,
  FIELD_MANAGER,
  KIND,
  LABEL_MANAGED_BY,
  LABEL_TOPOLOGY,
  MANAGED_BY,
  PLURAL,
} from "../api/constants.ts";
import type { Config } from "../config.ts";
import { reconcileLogger, type Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { OWNED_KINDS } from "../render/k8s/index.ts";
import { stripBookkeeping, trimOwned, trimPod } from "../kube/cache-transform.ts";
import { Conflict, isNamespaceTerminating, isTerminal } from "../kube/errors.ts";
import { guessResource } from "../kube/resources.ts";
import { BY_OWNER, BY_TOPOLOGY, kubeDeps, ownerUids, topologyOf } from "./cluster-deps.ts";
import { LeaderElector } from "../kube/leader-election.ts";
import { WorkQueue } from "../kube/workqueue.ts";
import { reconcile, type ReconcileDeps, type TopologyResource } from "./reconcile.ts";
import { KindWatch, type KindSpec } from "../kube/informer.ts";
import type { HistoryHooks } from "./history-operator.ts";

const managed = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
/** The Topologies, every kind they own (only what the operator labelled), and those children's pods. */
export const WATCHED: KindSpec[] = [
  { kind: KIND, apiVersion: API_VERSION, plural: PLURAL, transform: stripBookkeeping },
  ...OWNED_KINDS.map(({ apiVersion, kind }) => ({
    kind,
    apiVersion,
    plural: guessResource(kind),
    labelSelector: managed,
    transform: trimOwned(kind, FIELD_MANAGER),
    indexers: { [BY_OWNER]: ownerUids },
  })),
  {
    kind: "Pod",
    apiVersion: "v1",
    plural: "pods",
    labelSelector: managed,
    transform: trimPod,
    indexers: { [BY_TOPOLOGY]: topologyOf },
  },
];

/** The key of the Topology an object belongs to: itself, its controller owner, or its topology label. */
export function topologyKey(kind: string, obj: KubernetesObject): string | undefined {
  const ns = obj.metadata?.namespace;
  if (!ns) return undefined;
  if (kind === KIND) return `${ns}/${obj.metadata!.name}`;
  const owner = obj.metadata?.ownerReferences?.find(
    (r) => r.kind === KIND && r.apiVersion.startsWith("topo.dev/"),
  );
  const name = owner?.name ?? obj.metadata?.labels?.[LABEL_TOPOLOGY];
  return name ? `${ns}/${name}` : undefined;
}

/** The lease was lost: another replica may be reconciling already. */
export class LeadershipLost extends Error {
  override name = "LeadershipLost";
}

export interface ManagerOptions {
  kc: KubeConfig;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** The history store's recorder (controller/history-operator.ts), given the informers once they exist. */
  history?: (watches: ReadonlyMap<string, KindWatch>, isLeader: () => boolean) => HistoryHooks;
}

export class Manager {
  readonly watches = new Map<string, KindWatch>();
  private readonly queue: WorkQueue;
  private readonly deps: ReconcileDeps;
  private elector?: LeaderElector;
  private resync?: NodeJS.Timeout;
  private stopping = false;
  private lost = false;
  private lostLeadership?: (err: Error) => void;
  /**
   * Settles when the manager can no longer run: it rejects when this replica loses the lease (as
   * controller-runtime's manager does). The program decides what to do; `topo operator` exits so the
   * replica restarts as a follower.
   */
  readonly done: Promise<void>;
  private readonly o: ManagerOptions;
  readonly history?: HistoryHooks;

  constructor(options: ManagerOptions) {
    this.o = options;
    this.done = new Promise<void>((_, reject) => (this.lostLeadership = reject));
    this.done.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
    const { config, log, metrics } = options;
    for (const spec of WATCHED) {
      this.watches.set(
        spec.kind,
        new KindWatch({
          kc: options.kc,
          spec,
          namespaces: config.TOPO_NAMESPACES,
          watchdogMs: config.TOPO_WATCHDOG_SECONDS * 1000,
          log,
          onRestart: (reason) => metrics.watchRestarts.inc({ kind: spec.kind, reason }),
          onList: () => metrics.listRequests.inc({ kind: spec.kind }),
          onWatch: () => metrics.watchRequests.inc({ kind: spec.kind }),
          onCounted: (event) => metrics.watchEvents.inc({ kind: spec.kind, event }),
          onEvent: (_ev, obj) => {
            const key = topologyKey(spec.kind, obj);
            if (key) this.queue.add(key);
          },
        }),
      );
    }
    const cache = {
      get: (kind: string, ns: string, name: string) => this.watches.get(kind)?.get(ns, name),
      list: (kind: string, ns: string) => this.watches.get(kind)?.list(ns) ?? [],
      byIndex: (kind: string, index: string, value: string) =>
        this.watches.get(kind)?.byIndex(index, value) ?? [],
    };
    const base = kubeDeps({
      kc: options.kc,
      cache,
      writes: metrics.apiWrites,
      writeDuration: metrics.apiWriteDuration,
      log,
    });
    // Every write is made only while this replica leads: one that resumes after a freeze must not act on
    // the lease it held before (the other replica may be reconciling already).
    const leading =
      <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        if (this.lost || (config.TOPO_LEADER_ELECT && !this.elector?.isLeader()))
          return Promise.reject(new LeadershipLost("not the leader: write refused"));
        return write(...args);
      };
    this.deps = {
      ...base,
      // One pool of apply slots for every worker, so that one reconcile's slow last apply leaves its
      // slots to the others instead of idle, and the process never holds more than TOPO_APPLY_CONCURRENCY.
      limit: pLimit(config.TOPO_APPLY_CONCURRENCY),
      apply: leading(base.apply),
      remove: leading(base.remove),
      patchStatus: leading(async (t, status) => {
        await base.patchStatus(t, status);
        this.history?.observe(t, status); // returns at once: written in the background
      }),
      keepRevision: leading(base.keepRevision),
      pruneRevisions: leading(base.pruneRevisions),
      recovered: (seconds, trigger) => metrics.recovery.observe({ trigger }, seconds),
      event: leading(async (t, type, reason, message) => {
        if (reason === "RolledBack") metrics.rollbacks.inc();
        await base.event(t, type, reason, message);
      }),
    };
    this.history = options.history?.(
      this.watches,
      () => !this.lost && (!config.TOPO_LEADER_ELECT || this.elector?.isLeader() === true),
    );
    this.queue = new WorkQueue({
      workers: config.TOPO_WORKERS,
      handler: (key) => this.reconcileKey(key),
      onDepth: (d) => metrics.queueDepth.set(d),
      onLatency: (s) => metrics.queueLatency.observe(s),
      onRetry: () => metrics.queueRetries.inc(),
      isTerminal,
      onError: (key, err, retryInMs) => {
        const fields = { topology: key, err: String((err as Error)?.message ?? err), retryInMs };
        // A conflict means our cache was a step behind a write: expected, retried at once on fresh data.
        if (err instanceof Conflict) log.debug(fields, "conflict; retrying on fresh data");
        // Its Topologies go with the namespace: not retried (isTerminal), and not worth a warning.
        else if (isNamespaceTerminating(err)) log.debug(fields, "namespace is being terminated");
        else log.warn(fields, "reconcile failed");
      },
    });
  }

  private async reconcileKey(key: string): Promise<{ requeueAfterMs?: number } | void> {
    // Only the leader reconciles. Before the elector exists (caches still syncing) nobody leads yet: a key
    // that arrives then is dropped, and enqueueAll on taking the lease brings every key back.
    if (this.stopping || (this.o.config.TOPO_LEADER_ELECT && !this.elector?.isLeader())) return;
    // Events arrive while the other caches are still listing: wait for all of them rather than act on a
    // partial view (a missing Deployment would look like a node that was never created).
    if (!this.ready()) return { requeueAfterMs: 250 };
    const [namespace, name] = key.split("/") as [string, string];
    const topo = this.watches.get(KIND)!.get(namespace, name) as TopologyResource | undefined;
    const log = reconcileLogger(this.o.log, key, topo?.metadata.generation);
    const end = this.o.metrics.reconcileDuration.startTimer();
    try {
      const result = await reconcile({ ...this.deps, log }, namespace, name);
      this.o.metrics.reconcileTotal.inc({ result: result.phase === "Invalid" ? "invalid" : "success" });
      log.debug({ phase: result.phase, requeueAfterMs: result.requeueAfterMs }, "reconciled");
      return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : undefined;
    } catch (err) {
      this.o.metrics.reconcileTotal.inc({ result: "error" });
      throw err;
    } finally {
      end();
      this.countPhases();
    }
  }

  private countPhases(): void {
    const counts: Record<string, number> = {};
    for (const t of this.watches.get(KIND)!.all() as TopologyResource[]) {
      const phase = t.status?.phase ?? "Pending";
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
    this.o.metrics.topologies.reset();
    for (const [phase, n] of Object.entries(counts)) this.o.metrics.topologies.set({ phase }, n);
  }

  private enqueueAll(): void {
    for (const t of this.watches.get(KIND)!.all()) this.queue.add(topologyKey(KIND, t)!);
  }

  ready(): boolean {
    return [...this.watches.values()].every((w) => w.isSynced);
  }

  async start(): Promise<void> {
    const { config, log, metrics } = this.o;
    await Promise.all([...this.watches.values()].map((w) => w.start()));
    // Never reconcile from a cache that has not listed: that would prune children it cannot see.
    while (!this.ready() && !this.stopping) await new Promise((r) => setTimeout(r, 200));
    log.info(
      {
        namespaces: config.TOPO_NAMESPACES.length ? config.TOPO_NAMESPACES : "all",
        workers: config.TOPO_WORKERS,
      },
      "informer caches synced",
    );
    this.resync = setInterval(() => this.enqueueAll(), config.TOPO_RESYNC_SECONDS * 1000);
    this.resync.unref();
    if (config.TOPO_LEADER_ELECT) {
      this.elector = new LeaderElector({
        kc: this.o.kc,
        namespace: config.leaseNamespace,
        name: config.TOPO_LEASE_NAME,
        identity: config.identity,
        leaseDurationSeconds: config.TOPO_LEASE_DURATION_SECONDS,
        renewDeadlineSeconds: config.TOPO_RENEW_DEADLINE_SECONDS,
        retryPeriodSeconds: config.TOPO_RETRY_PERIOD_SECONDS,
        log,
        onStartedLeading: () => {
          metrics.leader.set(1);
          this.enqueueAll();
          this.history?.leading();
        },
        onStoppedLeading: () => {
          metrics.leader.set(0);
          // It may still hold a stale view: stop reconciling at once and let the program decide.
          this.stopping = true;
          this.lost = true;
          this.lostLeadership?.(new LeadershipLost("leadership lost"));
        },
      });
      this.elector.start();
    } else {
      metrics.leader.set(1);
      this.enqueueAll();
      this.history?.leading();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.resync) clearInterval(this.resync);
    await this.queue.shutdown();
    await this.elector?.stop();
    await Promise.all([...this.watches.values()].map((w) => w.stop()));
    await this.history?.close();
  }
}
