// prom-client metrics of the operator, in their own registry (so tests can make a fresh one).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "topo_process_" });
  const r = [registry];
  return {
    registry,
    reconcileTotal: new Counter({
      name: "topo_reconcile_total",
      help: "Reconciles by result.",
      labelNames: ["result"],
      registers: r,
    }),
    reconcileDuration: new Histogram({
      name: "topo_reconcile_duration_seconds",
      help: "Time spent in one reconcile.",
      // Up to a minute, so that a slow p99 reads as a number rather than "above the last bucket".
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: r,
    }),
    queueDepth: new Gauge({
      name: "topo_workqueue_depth",
      help: "Keys waiting in the work queue.",
      registers: r,
    }),
    queueLatency: new Histogram({
      name: "topo_workqueue_latency_seconds",
      help: "Time a key waits before a worker takes it.",
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300],
      registers: r,
    }),
    queueRetries: new Counter({
      name: "topo_workqueue_retries_total",
      help: "Keys requeued with backoff after an error.",
      registers: r,
    }),
    apiWrites: new Counter({
      name: "topo_api_writes_total",
      help: "Write calls to the API server by verb and kind.",
      labelNames: ["verb", "kind"],
      registers: r,
    }),
    apiWriteDuration: new Histogram({
      name: "topo_api_write_duration_seconds",
      help: "Round trip of a reconcile's applies, deletes and status updates by verb (client-go's rest_client_request_duration_seconds), not counting a wait for an apply slot; Events and kept revisions are counted in topo_api_writes_total but not timed.",
      labelNames: ["verb"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
    watchEvents: new Counter({
      name: "topo_watch_events_total",
      help: "Watch events by kind and event.",
      labelNames: ["kind", "event"],
      registers: r,
    }),
    watchRestarts: new Counter({
      name: "topo_watch_restarts_total",
      help: "Informer restarts (a new list and watch) by kind and reason: watch_error, list_error, silent.",
      labelNames: ["kind", "reason"],
      registers: r,
    }),
    watchRequests: new Counter({
      name: "topo_watch_requests_total",
      help: "WATCH requests of informers by kind (client-node reconnects an idle watch every 30 s).",
      labelNames: ["kind"],
      registers: r,
    }),
    listRequests: new Counter({
      name: "topo_list_requests_total",
      help: "LIST requests of informers by kind (every page of a list).",
      labelNames: ["kind"],
      registers: r,
    }),
    topologies: new Gauge({
      name: "topo_topologies",
      help: "Topologies by phase.",
      labelNames: ["phase"],
      registers: r,
    }),
    rollbacks: new Counter({ name: "topo_rollbacks_total", help: "Automatic rollbacks.", registers: r }),
    recovery: new Histogram({
      name: "topo_recovery_seconds",
      help: "From a rollback's request (a revision judged failed: automatic; topo.dev/rollback-to: manual) to every node Ready on the revision it returned to.",
      labelNames: ["trigger"],
      buckets: [0.5, 1, 2, 5, 10, 15, 30, 60, 120],
      registers: r,
    }),
    historyRecords: new Counter({
      name: "topo_history_records_total",
      help: "Records written to the history store (a record written again under its key counts again).",
      registers: r,
    }),
    historyWriteFailures: new Counter({
      name: "topo_history_write_failures_total",
      help: "Batches the history store refused or did not answer; each is retried with backoff.",
      registers: r,
    }),
    historyDropped: new Counter({
      name: "topo_history_dropped_total",
      help: "Observations dropped because the history buffer (TOPO_HISTORY_BUFFER) was full.",
      registers: r,
    }),
    historyBuffered: new Gauge({
      name: "topo_history_buffered",
      help: "Observations waiting to be written to the history store.",
      registers: r,
    }),
    historyWriteDuration: new Histogram({
      name: "topo_history_write_duration_seconds",
      help: "Time to write one batch to the history store.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: r,
    }),
    leader: new Gauge({
      name: "topo_leader",
      help: "1 when this replica holds the leader lease.",
      registers: r,
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
