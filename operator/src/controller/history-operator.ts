// The operator's side of the history store: the recorder fed by the manager's status writes and by a
// watch of the Events of Topologies and their children (so they outlive the API server's hour), the
// replay of every Topology's status on taking the lease, and retention. Only the leader writes.
import type { KubeConfig, KubernetesObject } from "../kube/client.ts";
import { KIND, LABEL_NODE } from "../api/constants.ts";
import type { TopologyStatus } from "../api/schema.ts";
import type { Config } from "../config.ts";
import type { HistoryRecord } from "../history/record.ts";
import { openStoreLazily, type HistoryStore } from "../history/store.ts";
import { KindWatch } from "../kube/informer.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { HistoryRecorder, type TopologyRef } from "./history.ts";
import { topologyKey } from "./manager.ts";
import type { TopologyResource } from "./reconcile.ts";

/** What the manager calls: a status it wrote, and the lease taken. */
export interface HistoryHooks {
  observe(topology: TopologyResource, status: TopologyStatus): void;
  leading(): void;
  close(): Promise<void>;
}

interface EventLike extends KubernetesObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | Date;
  lastTimestamp?: string | Date;
  eventTime?: string | Date;
  series?: { count?: number; lastObservedTime?: string | Date };
}

const iso = (t: string | Date | undefined) => (t ? new Date(t).toISOString() : undefined);

/** An Event as a record of its Topology's history, or undefined when it is not about one or its children. */
export function eventRecord(
  ev: EventLike,
  watches: ReadonlyMap<string, KindWatch>,
): HistoryRecord | undefined {
  const io = ev.involvedObject;
  const ns = io?.namespace ?? ev.metadata?.namespace;
  const uid = ev.metadata?.uid;
  if (!io?.kind || !io.name || !ns || !uid) return undefined;
  let topology: KubernetesObject | undefined;
  let node: string | undefined;
  if (io.kind === KIND) topology = watches.get(KIND)?.get(ns, io.name);
  else {
    // A ReplicaSet is its Deployment's (<deployment>-<pod-template-hash>); the others are watched children.
    const [kind, name] =
      io.kind === "ReplicaSet" ? ["Deployment", io.name.replace(/-[a-z0-9]+$/, "")] : [io.kind, io.name];
    const child = watches.get(kind)?.get(ns, name);
    const key = child && topologyKey(kind, child);
    if (!key) return undefined;
    topology = watches.get(KIND)?.get(ns, key.split("/")[1]!);
    node = child.metadata?.labels?.[LABEL_NODE];
  }
  if (!topology?.metadata?.uid) return undefined;
  const at =
    iso(ev.series?.lastObservedTime) ??
    iso(ev.lastTimestamp) ??
    iso(ev.eventTime) ??
    iso(ev.firstTimestamp) ??
    iso(ev.metadata?.creationTimestamp);
  if (!at) return undefined;
  const first = iso(ev.firstTimestamp) ?? iso(ev.eventTime);
  return {
    target: "kubernetes",
    namespace: ns,
    topology: topology.metadata.name!,
    uid: topology.metadata.uid,
    kind: "event",
    key: uid,
    at,
    ...(node ? { node } : {}),
    data: {
      type: ev.type ?? "Normal",
      reason: ev.reason ?? "",
      message: ev.message ?? "",
      object: { kind: io.kind, name: io.name },
      count: ev.series?.count ?? ev.count ?? 1,
      ...(first ? { firstAt: first } : {}),
    },
  };
}

/** Keeps what eventRecord reads (Events are many; the cache holds them until they expire). */
function trimEvent(obj: KubernetesObject): KubernetesObject {
  const e = obj as EventLike;
  return {
    apiVersion: e.apiVersion,
    kind: e.kind,
    metadata: {
      name: e.metadata?.name,
      namespace: e.metadata?.namespace,
      uid: e.metadata?.uid,
      resourceVersion: e.metadata?.resourceVersion,
      creationTimestamp: e.metadata?.creationTimestamp,
    },
    involvedObject: e.involvedObject,
    reason: e.reason,
    message: e.message,
    type: e.type,
    count: e.count,
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    eventTime: e.eventTime,
    series: e.series,
  } as KubernetesObject;
}

const refOf = (t: TopologyResource): TopologyRef | undefined =>
  t.metadata.uid
    ? { namespace: t.metadata.namespace!, name: t.metadata.name, uid: t.metadata.uid }
    : undefined;

export interface OperatorHistoryOptions {
  kc: KubeConfig;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** The manager's informers: the Topologies and the children an Event names. */
  watches: ReadonlyMap<string, KindWatch>;
  /** Whether this replica writes now. */
  isLeader(): boolean;
  /** A store of its own (benchmarks, tests); else TOPO_HISTORY_URL. */
  store?: HistoryStore;
}

const PRUNE_EVERY_MS = 3_600_000;

export function startOperatorHistory(o: OperatorHistoryOptions): HistoryHooks {
  const { config, log, metrics } = o;
  const store = o.store ?? openStoreLazily(config.TOPO_HISTORY_URL!);
  let lastWarn = 0;
  const recorder = new HistoryRecorder({
    store,
    limit: config.TOPO_HISTORY_BUFFER,
    onWritten: (n, seconds) => {
      metrics.historyRecords.inc(n);
      metrics.historyWriteDuration.observe(seconds);
    },
    onError: (err) => {
      metrics.historyWriteFailures.inc();
      // Logged at most every 10 s: a database down for minutes would otherwise fill the log.
      if (Date.now() - lastWarn > 10_000) {
        lastWarn = Date.now();
        log.warn(
          { err: String((err as Error)?.message ?? err), buffered: recorder.depth },
          "history store write failed; retrying",
        );
      }
    },
    onDrop: (n) => metrics.historyDropped.inc(n),
    onDepth: (d) => metrics.historyBuffered.set(d),
  });
  const events = new KindWatch({
    kc: o.kc,
    spec: { kind: "Event", apiVersion: "v1", plural: "events", transform: trimEvent },
    namespaces: config.TOPO_NAMESPACES,
    watchdogMs: config.TOPO_WATCHDOG_SECONDS * 1000,
    log,
    onEvent: (ev, obj) => {
      if (ev === "delete" || !o.isLeader()) return;
      const record = eventRecord(obj as EventLike, o.watches);
      if (record) recorder.record(record.uid, [record]);
    },
  });
  void events
    .start()
    .catch((err) => log.warn({ err: String(err) }, "history: the Events watch did not start"));
  const prune = async () => {
    if (!o.isLeader()) return;
    try {
      const n = await store.prune(config.TOPO_HISTORY_RETENTION);
      if (n) log.info({ deleted: n }, "history pruned");
    } catch (err) {
      log.warn({ err: String((err as Error)?.message ?? err) }, "history prune failed; next hour again");
    }
  };
  const pruning = setInterval(() => void prune(), PRUNE_EVERY_MS);
  pruning.unref();
  log.info({ store: store.dialect, retention: config.TOPO_HISTORY_RETENTION }, "recording history");
  return {
    observe(topology, status) {
      const ref = refOf(topology);
      if (ref) recorder.observe(ref, status);
    },
    leading() {
      // What happened while no replica led (or before a crash lost a buffer) is in the statuses still.
      for (const t of o.watches.get(KIND)!.all() as TopologyResource[]) {
        const ref = refOf(t);
        if (ref && t.status) recorder.observe(ref, t.status);
      }
      for (const ev of events.all()) {
        const record = eventRecord(ev as EventLike, o.watches);
        if (record) recorder.record(record.uid, [record]);
      }
      void prune();
    },
    async close() {
      clearInterval(pruning);
      await events.stop();
      await recorder.close();
    },
  };
}
