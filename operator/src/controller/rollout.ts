// Revisions, automatic rollback and rollback by hand (a pin), decided by a pure function from the desired
// revision, the history and health.
import type { HistoryEntry } from "../api/schema.ts";
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_FILES,
  LABEL_NODE,
  type RecoveryTrigger,
} from "../api/constants.ts";
import { hashOf, jobName, type KubeObject } from "../render/k8s/index.ts";

/**
 * A revision is the set of rendered pod templates: one configuration hash per node, a Deployment's or a
 * task's Job's. Its hash does not depend on the order of the objects (nodes listed in another order,
 * children listed by name).
 */
export interface RevisionSnapshot {
  hash: string;
  templates: Record<string, string>;
  images: Record<string, string>;
  /** The nodes of `templates` that are tasks (a Job, not a Deployment); snapshotOf always sets it. */
  tasks?: string[];
  /** Per node with content files, the ConfigMap its template mounts. */
  files?: Record<string, string>;
}

export function snapshotOf(objects: readonly KubeObject[]): RevisionSnapshot {
  const templates: Record<string, string> = {};
  const images: Record<string, string> = {};
  const tasks: string[] = [];
  const files: Record<string, string> = {};
  for (const o of objects) {
    if (o.kind !== "Deployment" && o.kind !== "Job") continue;
    const node = o.metadata.labels[LABEL_NODE]!;
    if (o.kind === "Job") tasks.push(node);
    const template = o.spec.template as {
      metadata: { annotations: Record<string, string> };
      spec: { containers: { image: string }[] };
    };
    templates[node] = template.metadata.annotations[ANNOTATION_CONFIG_HASH]!;
    images[node] = template.spec.containers[0]!.image;
    const configMap = template.metadata.annotations[ANNOTATION_FILES];
    if (configMap) files[node] = configMap;
  }
  const entries = Object.entries(templates).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    hash: hashOf(entries),
    templates,
    images,
    tasks: tasks.sort(),
    ...(Object.keys(files).length ? { files } : {}),
  };
}

/**
 * The children a history keeps whatever the revision applied: each task's Job and each node's ConfigMap of
 * every revision in it, so a rollback finds them (pruned once their revision leaves the history).
 */
export function historyChildren(topology: string, history: readonly HistoryEntry[]): string[] {
  return history.flatMap((h) => [
    ...Object.entries(h.tasks ?? {}).map(([node, hash]) => `Job/${jobName(topology, node, hash)}`),
    ...Object.values(h.files ?? {}).map((name) => `ConfigMap/${name}`),
  ]);
}

/** The template of each task of a revision: what its history entry records, so its Jobs are kept with it. */
export function taskTemplates(snapshot: RevisionSnapshot): Record<string, string> | undefined {
  if (!snapshot.tasks?.length) return undefined;
  return Object.fromEntries(snapshot.tasks.map((n) => [n, snapshot.templates[n]!]));
}

export interface Failure {
  node: string;
  reason: string;
  message?: string;
  /** Said in the revision's reason as well (a failed task's message and last log lines). */
  detail?: string;
}

export interface RolloutInput {
  generation: number;
  desired: RevisionSnapshot;
  history: readonly HistoryEntry[];
  lastGoodRevision?: number;
  /**
   * The pod templates (node → config hash) of the last good revision, which the children ran before this
   * one and a rollback would restore. A revision is judged on the nodes whose template differs from it;
   * without it (a first revision, or a last good one that is not kept) on every node.
   */
  previousTemplates?: Record<string, string>;
  /** The nodes of previousTemplates that are tasks. */
  previousTasks?: readonly string[];
  /**
   * The changed tasks of the desired revision: whether one still runs (its own timeout bounds it, so the
   * progress deadline waits), and when the last of them succeeded (ms), from which the deadline of the
   * nodes that waited for them counts.
   */
  tasks?: { running: boolean; succeededAt?: number };
  /** Nodes whose workload runs the desired template with all replicas Ready (a task: it succeeded). */
  readyNodes: readonly string[];
  /**
   * Per node, the template (config hash) its workload runs with every replica Ready; a node that is not
   * Ready on any is absent. Says when a rollback has every node back on its revision (the recovery). Tasks
   * are not in it: a rollback never runs one again, its success in the revision it returns to stands.
   */
  readyTemplates?: Record<string, string>;
  /**
   * A rollback by hand in force (topo.dev/rollback-to): the kept revision to run and hold whatever the
   * spec says. Judged on every node: it is done when every node runs it Ready.
   */
  pin?: { revision: number; snapshot: RevisionSnapshot };
  /** Pods of the desired revision failing for longer than the grace period, at most one per node. */
  failures: readonly Failure[];
  /**
   * Per node, why pods of the desired revision wait for a cluster node (`2 pods unschedulable: ...`):
   * said in the reason of a revision that runs out of time.
   */
  unschedulable?: Readonly<Record<string, string>>;
  now: Date;
  progressDeadlineSeconds: number;
  autoRollback: boolean;
  historyLimit: number;
}

export interface RolloutDecision {
  history: HistoryEntry[];
  revision: number;
  lastGoodRevision?: number;
  /**
   * The nodes the latest revision changed (their template differs from the last good revision's), in
   * desired order: the only nodes it is judged on. Another node that is not Ready is an outage, not a
   * failure of this revision.
   */
  changed: string[];
  /** Which revision's workloads to apply: the spec's, the last good one's (kept), or the pinned one's (kept). */
  target: "desired" | "lastGood" | "pinned";
  /** Set when this decision started a rollback by hand: from the revision the children ran. */
  manual?: { revision: number; from?: number };
  /** Set when this decision saw every node Ready on the revision a rollback returned to. */
  recovered?: { revision: number; seconds: number; trigger: RecoveryTrigger };
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

/**
 * Whether the desired templates start a new revision: they differ from the latest one, or the latest
 * failed and the spec was edited since (a retry).
 */
export function startsRevision(
  history: readonly HistoryEntry[],
  desiredHash: string,
  generation: number,
): boolean {
  const latest = history.at(-1);
  if (!latest || latest.hash !== desiredHash) return true;
  return FINISHED_BADLY.has(latest.outcome) && latest.generation !== generation;
}

/** The nodes whose desired template differs from the previous one (every node when there is none). */
export function changedNodes(desired: Record<string, string>, previous?: Record<string, string>): string[] {
  const nodes = Object.keys(desired);
  return previous ? nodes.filter((n) => previous[n] !== desired[n]) : nodes;
}

/** Whether every node of `templates` but its tasks runs its template with all replicas Ready. */
const allReadyOn = (
  templates: Record<string, string>,
  ready: Record<string, string> | undefined,
  tasks: readonly string[] = [],
) =>
  ready !== undefined &&
  Object.entries(templates).every(([node, hash]) => tasks.includes(node) || ready[node] === hash);

/**
 * Marks the latest entry recovered once every node runs the revision it rolled back to, Ready: the time
 * from the rollback's request (`rollbackAt`) to then, once.
 */
function measureRecovery(
  decision: RolloutDecision,
  latest: HistoryEntry,
  back: { revision: number; templates: Record<string, string>; tasks?: readonly string[] } | undefined,
  input: RolloutInput,
): void {
  if (!back || !latest.rollbackAt || latest.recoverySeconds !== undefined) return;
  if (!allReadyOn(back.templates, input.readyTemplates, back.tasks)) return;
  const seconds = Math.max(0, (input.now.getTime() - Date.parse(latest.rollbackAt)) / 1000);
  latest.recoverySeconds = Math.round(seconds * 1000) / 1000;
  decision.recovered = {
    revision: back.revision,
    seconds: latest.recoverySeconds,
    trigger: latest.trigger === "manual" ? "manual" : "automatic",
  };
}

/** The revision the children run when the latest entry is what it is: a revision rolled back runs the last good one. */
function runningRevision(latest: HistoryEntry | undefined, lastGood: number | undefined) {
  if (!latest) return undefined;
  return latest.outcome === "RolledBack" ? lastGood : latest.revision;
}

/**
 * A rollback by hand: the pinned revision becomes the latest entry (trigger manual, the revision the
 * children ran as `from`) and is applied to every node whatever the spec says. It is Succeeded once every
 * node runs it Ready, and then the last good revision; not so by the deadline, Failed (Degraded, still
 * pinned: nothing rolls a rollback by hand back), and Succeeded still if every node gets there later.
 */
function decidePinned(
  input: RolloutInput,
  pin: NonNullable<RolloutInput["pin"]>,
  history: HistoryEntry[],
): RolloutDecision {
  let lastGood = input.lastGoodRevision;
  let latest = history.at(-1);
  const decision: RolloutDecision = {
    history,
    revision: pin.revision,
    changed: Object.keys(pin.snapshot.templates),
    target: "pinned",
  };
  if (!(latest?.trigger === "manual" && latest.revision === pin.revision)) {
    const from = runningRevision(latest, lastGood);
    if (latest?.outcome === "Progressing") latest.outcome = "Superseded";
    const at = input.now.toISOString();
    const tasks = taskTemplates(pin.snapshot);
    latest = {
      revision: pin.revision,
      hash: pin.snapshot.hash,
      images: pin.snapshot.images,
      ...(tasks ? { tasks } : {}),
      ...(pin.snapshot.files ? { files: pin.snapshot.files } : {}),
      outcome: "Progressing",
      at,
      generation: input.generation,
      trigger: "manual",
      ...(from !== undefined ? { from } : {}),
      rollbackAt: at,
    };
    history.push(latest);
    decision.manual = { revision: pin.revision, ...(from !== undefined ? { from } : {}) };
  }
  const templates = pin.snapshot.templates;
  // A task of the pinned revision is not run again: it succeeded when that revision ran.
  const notReady = Object.keys(templates).filter(
    (n) => !pin.snapshot.tasks?.includes(n) && input.readyTemplates?.[n] !== templates[n],
  );
  if (latest.outcome === "Progressing" || latest.outcome === "Failed") {
    const deadline = Date.parse(latest.at) + input.progressDeadlineSeconds * 1000;
    if (!notReady.length) {
      latest.outcome = "Succeeded";
      delete latest.reason;
      lastGood = latest.revision;
    } else if (latest.outcome === "Progressing" && input.now.getTime() >= deadline) {
      latest.outcome = "Failed";
      latest.reason = `not Ready within ${input.progressDeadlineSeconds}s (node ${notReady[0]})`;
      decision.failed = { revision: latest.revision, node: notReady[0]!, reason: "ProgressDeadlineExceeded" };
    } else if (latest.outcome === "Progressing") {
      decision.requeueAfterMs = deadline - input.now.getTime();
    }
  }
  measureRecovery(
    decision,
    latest,
    { revision: pin.revision, templates, tasks: pin.snapshot.tasks ?? [] },
    input,
  );
  trimHistory(history, input.historyLimit, [latest.revision, lastGood]);
  return { ...decision, ...(lastGood !== undefined ? { lastGoodRevision: lastGood } : {}) };
}

export function decideRollout(input: RolloutInput): RolloutDecision {
  const history = input.history.map((h) => ({ ...h }));
  if (input.pin) return decidePinned(input, input.pin, history);
  let lastGood = input.lastGoodRevision;
  let latest = history.at(-1);
  let started = false;
  if (!latest || startsRevision(history, input.desired.hash, input.generation)) {
    if (latest?.outcome === "Progressing") latest.outcome = "Superseded";
    const revision = Math.max(0, ...history.map((h) => h.revision)) + 1;
    const tasks = taskTemplates(input.desired);
    latest = {
      revision,
      hash: input.desired.hash,
      images: input.desired.images,
      ...(tasks ? { tasks } : {}),
      ...(input.desired.files ? { files: input.desired.files } : {}),
      outcome: "Progressing",
      at: input.now.toISOString(),
      generation: input.generation,
    };
    history.push(latest);
    started = true;
  }
  const changed = changedNodes(input.desired.templates, input.previousTemplates);
  const decision: RolloutDecision = {
    history,
    revision: latest.revision,
    changed,
    target: "desired",
    ...(started ? { started } : {}),
  };
  if (latest.outcome === "Progressing") {
    // The nodes that waited for the revision's tasks get the whole deadline from when those succeeded; a
    // task that runs is bounded by its own timeout instead.
    const from = Math.max(Date.parse(latest.at), input.tasks?.succeededAt ?? 0);
    const deadline = from + input.progressDeadlineSeconds * 1000;
    const taskRunning = input.tasks?.running === true;
    const ready = new Set(input.readyNodes);
    const notReady = changed.filter((n) => !ready.has(n));
    const failure = input.failures.find((f) => changed.includes(f.node));
    if (!notReady.length) {
      latest.outcome = "Succeeded";
      lastGood = latest.revision;
    } else if (failure || (!taskRunning && input.now.getTime() >= deadline)) {
      const node = failure?.node ?? notReady[0]!;
      const reason = failure?.reason ?? "ProgressDeadlineExceeded";
      latest.reason = failure
        ? `${reason} on node ${node}${failure.detail ? `: ${failure.detail}` : ""}`
        : `not Ready within ${input.progressDeadlineSeconds}s (node ${node}${input.unschedulable?.[node] ? `: ${input.unschedulable[node]}` : ""})`;
      if (input.autoRollback && lastGood !== undefined && lastGood !== latest.revision) {
        latest.outcome = "RolledBack";
        const failedAt = failure ? input.now.getTime() : Math.min(deadline, input.now.getTime());
        latest.rollbackAt = new Date(failedAt).toISOString();
        decision.rolledBack = { revision: latest.revision, to: lastGood, node, reason, failedAt };
      } else {
        latest.outcome = "Failed";
        decision.failed = { revision: latest.revision, node, reason };
      }
    } else if (!taskRunning) {
      decision.requeueAfterMs = deadline - input.now.getTime();
    }
  }
  if (latest.outcome === "RolledBack") {
    decision.target = "lastGood";
    if (lastGood !== undefined && input.previousTemplates)
      measureRecovery(
        decision,
        latest,
        { revision: lastGood, templates: input.previousTemplates, tasks: input.previousTasks ?? [] },
        input,
      );
  }
  trimHistory(history, input.historyLimit, [latest.revision, lastGood]);
  return { ...decision, ...(lastGood !== undefined ? { lastGoodRevision: lastGood } : {}) };
}

/**
 * Drops the oldest entries beyond `limit`, but never the latest revision (the one in flight, or the one
 * the Topology runs) nor the last good one (a rollback needs it). With a limit of 1 and a latest revision
 * that is not the last good one, both stay: two entries, as a Deployment keeps its current ReplicaSet
 * beside the old ones its revisionHistoryLimit counts.
 */
function trimHistory(history: HistoryEntry[], limit: number, keep: (number | undefined)[]): void {
  while (history.length > limit) {
    const i = history.findIndex((h) => !keep.includes(h.revision));
    if (i < 0) return;
    history.splice(i, 1);
  }
}
