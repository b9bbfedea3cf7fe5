// Revisions and automatic rollback, decided by a pure function from the desired revision, the history and health.
import type { HistoryEntry } from "../api/schema.ts";
import { ANNOTATION_CONFIG_HASH, LABEL_NODE } from "../api/constants.ts";
import { hashOf, type KubeObject } from "../render/k8s/index.ts";

/**
 * A revision is the set of rendered pod templates: one configuration hash per node. Its hash does not
 * depend on the order of the objects (nodes listed in another order, children listed by name).
 */
export interface RevisionSnapshot {
  hash: string;
  templates: Record<string, string>;
  images: Record<string, string>;
}

export function snapshotOf(objects: readonly KubeObject[]): RevisionSnapshot {
  const templates: Record<string, string> = {};
  const images: Record<string, string> = {};
  for (const o of objects) {
    if (o.kind !== "Deployment") continue;
    const node = o.metadata.labels[LABEL_NODE]!;
    const template = o.spec.template as {
      metadata: { annotations: Record<string, string> };
      spec: { containers: { image: string }[] };
    };
    templates[node] = template.metadata.annotations[ANNOTATION_CONFIG_HASH]!;
    images[node] = template.spec.containers[0]!.image;
  }
  const entries = Object.entries(templates).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { hash: hashOf(entries), templates, images };
}

export interface Failure {
  node: string;
  reason: string;
  message?: string;
}

export interface RolloutInput {
  generation: number;
  desired: RevisionSnapshot;
  history: readonly HistoryEntry[];
  lastGoodRevision?: number;
  /** Every node runs the desired template with all replicas Ready. */
  ready: boolean;
  /** A pod of the desired revision failing for longer than the grace period. */
  failure?: Failure;
  /** The first node that is not Ready, to name in a deadline failure. */
  firstNotReady?: string;
  now: Date;
  progressDeadlineSeconds: number;
  autoRollback: boolean;
  historyLimit: number;
}

export interface RolloutDecision {
  history: HistoryEntry[];
  revision: number;
  lastGoodRevision?: number;
  /** Which revision's workloads to apply. */
  target: "desired" | "lastGood";
  /** Set when this decision rolled back (the moment it happened). */
  rolledBack?: {
    revision: number;
    to: number;
    node: string;
    reason: string;
    /** When the revision was judged failed (ms): its deadline, or now for a pod failure. */
    failedAt: number;
  };
  /** Set when this decision marked the revision failed without a rollback. */
  failed?: { revision: number; node: string; reason: string };
  /** True when this decision started a new revision. */
  started?: boolean;
  /** When to look again even if nothing changes (the deadline). */
  requeueAfterMs?: number;
}

const FINISHED_BADLY = new Set(["Failed", "RolledBack"]);

export function decideRollout(input: RolloutInput): RolloutDecision {
  const history = input.history.map((h) => ({ ...h }));
  let lastGood = input.lastGoodRevision;
  let latest = history.at(-1);
  let started = false;
  const retry = latest && FINISHED_BADLY.has(latest.outcome) && latest.generation !== input.generation;
  if (!latest || latest.hash !== input.desired.hash || retry) {
    if (latest?.outcome === "Progressing") latest.outcome = "Superseded";
    const revision = Math.max(0, ...history.map((h) => h.revision)) + 1;
    latest = {
      revision,
      hash: input.desired.hash,
      images: input.desired.images,
      outcome: "Progressing",
      at: input.now.toISOString(),
      generation: input.generation,
    };
    history.push(latest);
    started = true;
  }
  const decision: RolloutDecision = {
    history,
    revision: latest.revision,
    target: "desired",
    ...(started ? { started } : {}),
  };
  if (latest.outcome === "Progressing") {
    const deadline = Date.parse(latest.at) + input.progressDeadlineSeconds * 1000;
    if (input.ready) {
      latest.outcome = "Succeeded";
      lastGood = latest.revision;
    } else if (input.failure || input.now.getTime() >= deadline) {
      const node = input.failure?.node ?? input.firstNotReady ?? "";
      const reason = input.failure?.reason ?? "ProgressDeadlineExceeded";
      latest.reason = input.failure
        ? `${reason} on node ${node}`
        : `not Ready within ${input.progressDeadlineSeconds}s (node ${node})`;
      if (input.autoRollback && lastGood !== undefined && lastGood !== latest.revision) {
        latest.outcome = "RolledBack";
        const failedAt = input.failure ? input.now.getTime() : Math.min(deadline, input.now.getTime());
        decision.rolledBack = { revision: latest.revision, to: lastGood, node, reason, failedAt };
      } else {
        latest.outcome = "Failed";
        decision.failed = { revision: latest.revision, node, reason };
      }
    } else {
      decision.requeueAfterMs = deadline - input.now.getTime();
    }
  }
  if (latest.outcome === "RolledBack") decision.target = "lastGood";
  // Keep historyLimit entries, never dropping the last good one (a rollback needs it).
  while (history.length > input.historyLimit) {
    const i = history.findIndex((h) => h.revision !== lastGood);
    history.splice(i, 1);
  }
  return { ...decision, ...(lastGood !== undefined ? { lastGoodRevision: lastGood } : {}) };
}
