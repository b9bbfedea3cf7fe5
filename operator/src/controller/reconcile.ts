// reconcile(key): level-based orchestration — read the Topology and its children, decide, apply, report.
import pLimit, { type LimitFunction } from "p-limit";
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_FILES,
  ANNOTATION_ROLLBACK_TO,
  ANNOTATION_TASK_REVISION,
  ConditionType,
  LABEL_NODE,
  Phase,
  type RecoveryTrigger,
} from "../api/constants.ts";
import { parseSpec } from "../api/parse.ts";
import { checkClusterImages } from "../api/rules.ts";
import type { HistoryEntry, TopologyStatus } from "../api/schema.ts";
import { formatPath } from "../api/topology.ts";
import { jobName, OWNED_KINDS, renderKubernetes, type KubeObject } from "../render/k8s/index.ts";
import { isNamespaceTerminating } from "../kube/errors.ts";
import { applyReason } from "./compare.ts";
import { findPodFailures, findUnschedulable, spreadOver, type PodLike } from "./pods.ts";
import {
  decideRollout,
  historyChildren,
  snapshotOf,
  startsRevision,
  type RevisionSnapshot,
  type RolloutDecision,
} from "./rollout.ts";
import {
  computeStatus,
  invalidStatus,
  observeDeployment,
  statusChanged,
  type ObservedNode,
} from "./status.ts";
import { failedEarlier, observeTask, taskClock, taskFailures, type JobLike } from "./tasks.ts";

export interface TopologyResource {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string | Date;
  };
  spec?: unknown;
  status?: TopologyStatus;
}

export interface ChildObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string }[];
  };
  spec?: unknown;
  status?: unknown;
}

/** What reconcile reads and writes, so the same code runs against the real API server in tests and in production. */
export interface ReconcileDeps {
  now(): Date;
  getTopology(namespace: string, name: string): TopologyResource | undefined;
  /** Children owned by the Topology (from the informer caches), by kind. */
  listChildren(
    namespace: string,
    topology: string,
    uid: string,
  ): { byKind: Record<string, ChildObject[]>; pods: PodLike[] };
  apply(obj: KubeObject): Promise<void>;
  remove(obj: ChildObject & { kind: string }): Promise<void>;
  patchStatus(topology: TopologyResource, status: TopologyStatus): Promise<void>;
  /**
   * Keeps `revision` (the last good one, which a newer revision supersedes) in a ControllerRevision owned
   * by the Topology, unless it is kept already: its objects as the children running it hold them. A
   * revision is stored only once a newer one might need to roll back to it, so creating a Topology costs
   * no write for it. Of a task's Jobs only the one of the revision's template (`tasks`: node -> hash) is
   * kept. Returns false when the children no longer run it (their templates' hash differs).
   */
  keepRevision(
    topology: TopologyResource,
    revision: number,
    hash: string,
    tasks?: Record<string, string>,
  ): Promise<boolean>;
  loadRevision(topology: TopologyResource, revision: number): Promise<KubeObject[] | undefined>;
  pruneRevisions(topology: TopologyResource, keep: number[]): Promise<void>;
  /** Records an Event on the Topology; it may be sent after this returns (see events.ts). */
  event(
    topology: TopologyResource,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void>;
  /**
   * Seconds from a rollback's request (a revision judged failed, or topo.dev/rollback-to seen) to every
   * node Ready on the revision it returned to: the topo_recovery_seconds histogram.
   */
  recovered?(seconds: number, trigger: RecoveryTrigger): void;
  /** The last `tailLines` lines of a container's log (a failed task's pod); throws when it cannot be read. */
  readLog?(namespace: string, pod: string, container: string, tailLines: number): Promise<string>;
  /**
   * The slots every reconcile's applies share (a p-limit): the manager's holds TOPO_APPLY_CONCURRENCY,
   * so that a reconcile may use the slots the others leave free, and the process never holds more.
   * Without it, each reconcile has APPLY_CONCURRENCY of its own.
   */
  limit?: LimitFunction;
  log: {
    debug(obj: object, msg: string): void;
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  phase?: string;
}

export const POD_FAILURE_GRACE_MS = 10_000;

const nodeOf = (o: { metadata: { labels?: Record<string, string> } }) =>
  o.metadata.labels?.[LABEL_NODE] ?? "";
const keyOf = (o: { kind?: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;

export async function reconcile(
  deps: ReconcileDeps,
  namespace: string,
  name: string,
): Promise<ReconcileResult> {
  const topo = deps.getTopology(namespace, name);
  if (!topo) return {}; // deleted: garbage collection removes the children
  // Being deleted (a finalizer, or foreground deletion that waits on its children): garbage collection
  // removes the children, and applying one would bring it back. Nothing is written until it is gone.
  if (topo.metadata.deletionTimestamp) return {};
  const generation = topo.metadata.generation ?? 0;
  const now = deps.now();
  const parsed = parseSpec(topo.spec, { name, namespace, uid: topo.metadata.uid, generation });
  // The operator never builds: a node with build has no image here until `topo build` pinned one.
  const issues = parsed.ok ? checkClusterImages(parsed.topology.nodes) : parsed.issues;
  if (!parsed.ok || issues.length) {
    const message = issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("; ");
    const status = invalidStatus(topo.status, generation, message, now);
    if (statusChanged(topo.status, status)) {
      await deps.patchStatus(topo, status);
      await deps.event(topo, "Warning", "InvalidSpec", message);
    }
    return { phase: "Invalid" }; // terminal: nothing to retry until the spec changes
  }
  const topology = parsed.topology;
  const desired = renderKubernetes(topology);
  const snapshot = snapshotOf(desired);
  const { byKind, pods } = deps.listChildren(namespace, name, topo.metadata.uid);
  const observed = new Map<string, ChildObject & { kind: string }>(
    OWNED_KINDS.flatMap(({ kind }) =>
      (byKind[kind] ?? []).map((o): [string, ChildObject & { kind: string }] => [
        `${kind}/${o.metadata.name}`,
        { ...o, kind },
      ]),
    ),
  );
  const deploymentOf = (node: string) =>
    (byKind.Deployment ?? []).find((d) => nodeOf(d) === node) as Parameters<typeof observeDeployment>[1];
  // A task's Jobs: one per template, named by its hash.
  const jobs = new Map((byKind.Job ?? []).map((j) => [j.metadata.name, j as unknown as JobLike]));
  const jobOf = (node: string, hash: string | undefined) =>
    hash === undefined ? undefined : jobs.get(jobName(name, node, hash));

  const history = topo.status?.history ?? [];
  const starts = startsRevision(history, snapshot.hash, generation);
  // The revision the spec's objects are (or become, when they start one): a task's Job that failed in an
  // earlier one runs again.
  const upcoming = starts ? Math.max(0, ...history.map((h) => h.revision)) + 1 : history.at(-1)!.revision;
  const desiredNodes = topology.nodes.map((n) =>
    n.task
      ? observeTask(n.name, jobOf(n.name, snapshot.templates[n.name]), {
          targetHash: snapshot.templates[n.name],
          revision: upcoming,
        })
      : observeDeployment(n.name, deploymentOf(n.name), snapshot.templates[n.name]),
  );
  const { failures: podFailures, retryInMs } = findPodFailures(
    pods,
    snapshot.templates,
    now,
    POD_FAILURE_GRACE_MS,
  );
  const lastGood = history.find((h) => h.revision === topo.status?.lastGoodRevision);
  const request = topo.metadata.annotations?.[ANNOTATION_ROLLBACK_TO];
  const { pin, refused } =
    request === undefined ? {} : await resolvePin(deps, topo, request, history, lastGood);
  // A task that failed fails the revision; its log is read once, when the revision is judged.
  const judging = !pin && (starts || history.at(-1)?.outcome === "Progressing");
  const failures = judging
    ? [
        ...podFailures,
        ...(await taskFailures({
          snapshot,
          jobOf,
          pods,
          revision: upcoming,
          readLog: logReader(deps, namespace),
        })),
      ]
    : podFailures;
  // Before the first object of a new revision is applied, the children still run the last good one:
  // keep it now, since a rollback may need it.
  if (!pin && lastGood?.hash && starts) {
    if (!(await deps.keepRevision(topo, lastGood.revision, lastGood.hash, lastGood.tasks)))
      deps.log.warn(
        { revision: lastGood.revision },
        "children no longer run the last good revision; not kept",
      );
  }
  // A revision is judged on the nodes it changed from the last good one: its kept objects say what those
  // ran (the same objects a rollback applies). Read only while the desired revision is another one.
  const kept =
    !pin && lastGood?.hash && lastGood.hash !== snapshot.hash
      ? await deps.loadRevision(topo, lastGood.revision)
      : undefined;
  const readyTemplates: Record<string, string> = {};
  for (const d of byKind.Deployment ?? []) {
    const hash = (d.spec as { template?: { metadata?: { annotations?: Record<string, string> } } })?.template
      ?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH];
    if (hash && observeDeployment(nodeOf(d), d as Parameters<typeof observeDeployment>[1], hash).ready)
      readyTemplates[nodeOf(d)] = hash;
  }
  const keptSnapshot = kept && snapshotOf(kept);
  const decision = decideRollout({
    generation,
    desired: snapshot,
    history,
    ...(lastGood ? { lastGoodRevision: lastGood.revision } : {}),
    ...(keptSnapshot
      ? { previousTemplates: keptSnapshot.templates, previousTasks: keptSnapshot.tasks ?? [] }
      : {}),
    tasks: taskClock(snapshot, keptSnapshot?.templates, jobOf, upcoming),
    readyNodes: desiredNodes.filter((n) => n.ready).map((n) => n.name),
    readyTemplates,
    ...(pin ? { pin: { revision: pin.revision, snapshot: pin.snapshot } } : {}),
    failures,
    unschedulable: Object.fromEntries(findUnschedulable(pods, snapshot.templates)),
    now,
    progressDeadlineSeconds: topology.rollout.progressDeadlineSeconds,
    autoRollback: topology.rollout.autoRollback,
    historyLimit: topology.rollout.historyLimit,
  });
  const target = decision.target === "pinned" ? pin!.objects : targetObjects(deps, decision, desired, kept);
  const targetSnapshot = snapshotOf(target);
  // The nodes of the revision applied: a revision rolled back to may lack a node the spec added, or have
  // one it removed. Their start order is the spec's (a node it does not have waits on nothing).
  const dependsOn = new Map(topology.nodes.map((n) => [n.name, n.dependsOn]));
  const nodeNames =
    target === desired ? topology.nodes.map((n) => n.name) : Object.keys(targetSnapshot.templates);
  const isTask = (n: string) => targetSnapshot.tasks?.includes(n) ?? false;
  // A rollback never runs a task again: its success in the revision it returns to stands.
  const runTasks = decision.target === "desired";
  const observeNode = (n: string): ObservedNode =>
    isTask(n)
      ? observeTask(n, jobOf(n, targetSnapshot.templates[n]), {
          targetHash: targetSnapshot.templates[n],
          revision: decision.revision,
          done: !runTasks,
          ...(targetSnapshot.images[n] ? { image: targetSnapshot.images[n] } : {}),
        })
      : observeDeployment(n, deploymentOf(n), targetSnapshot.templates[n]);

  // Dependency order: a node's workload is created only when every node it dependsOn is Ready, and is
  // changed only once every task it dependsOn has succeeded in this revision (a migration before the
  // release that needs it).
  const readyNow = new Map(nodeNames.map((n) => [n, observeNode(n).ready]));
  const runsTarget = (n: string) =>
    isTask(n)
      ? jobOf(n, targetSnapshot.templates[n]) !== undefined
      : deploymentOf(n)?.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] ===
        targetSnapshot.templates[n];
  const waiting = new Map<string, string[]>();
  for (const n of nodeNames) {
    const blockers = (dependsOn.get(n) ?? []).filter((d) => !readyNow.get(d));
    const onTasks = blockers.filter(isTask);
    const exists = isTask(n) ? runsTarget(n) : deploymentOf(n) !== undefined;
    if (blockers.length && !exists) waiting.set(n, blockers);
    else if (onTasks.length && !runsTarget(n)) waiting.set(n, onTasks);
  }

  const wanted = new Set<string>();
  /** Jobs that failed in an earlier revision: deleted, so that this one runs the task again. */
  const rerun = new Set<string>();
  /** The objects that differ from what the cluster holds. */
  const changes: { key: string; obj: KubeObject }[] = [];
  for (const obj of target) {
    const key = keyOf(obj);
    if ((obj.kind === "Deployment" || obj.kind === "Job") && waiting.has(nodeOf(obj))) {
      // A workload that waits keeps what it runs until what it waits for is done.
      if (observed.has(key)) wanted.add(key);
      continue;
    }
    wanted.add(key);
    let next = obj;
    if (obj.kind === "Job") {
      // Created once and never applied again: a Job's template cannot change.
      const job = observed.get(key) as unknown as JobLike | undefined;
      if (job && runTasks && failedEarlier(job, decision.revision)) rerun.add(key);
      if (job || !runTasks) continue;
      next = withAnnotation(obj, ANNOTATION_TASK_REVISION, String(decision.revision));
    }
    const reason = applyReason(next, observed.get(key));
    if (!reason) continue;
    deps.log.debug({ object: key, reason }, "applying");
    changes.push({ key, obj: next });
  }
  const failure = await applyInWaves(deps, changes);
  const applyError = failure && `applying ${failure.key}: ${(failure.err as Error).message}`;
  // A task's Jobs and a node's ConfigMaps go with the revisions that ran them (historyLimit), not before;
  // nor does a ConfigMap a workload's template or a pod still mounts (a rollout in flight, a waiting node).
  for (const key of historyChildren(name, decision.history)) wanted.add(key);
  for (const o of [...(byKind.Deployment ?? []), ...(byKind.Job ?? []), ...pods]) {
    const configMap = mountedConfigMap(o);
    if (configMap) wanted.add(`ConfigMap/${configMap}`);
  }
  if (!applyError) {
    for (const [key, obj] of observed) if (!wanted.has(key) || rerun.has(key)) await deps.remove(obj);
  }

  const failed = new Map(failures.map((f) => [f.node, f]));
  const spread = spreadOver(pods);
  const unschedulable = findUnschedulable(pods, targetSnapshot.templates);
  const nodes: ObservedNode[] = nodeNames.map((n) => {
    const o = observeNode(n);
    const onTasks = waiting.get(n)?.filter(isTask) ?? [];
    return {
      ...o,
      ...(waiting.has(n) ? { waitingOn: waiting.get(n)! } : {}),
      ...(onTasks.length ? { waitingOnTasks: onTasks } : {}),
      ...(failed.has(n) && !isTask(n) ? { failure: failed.get(n)! } : {}),
      ...(!isTask(n) && spread.get(n) ? { spreadOver: spread.get(n)! } : {}),
      ...(!isTask(n) && unschedulable.has(n) ? { unschedulable: unschedulable.get(n)! } : {}),
    };
  });
  const status = computeStatus({
    generation,
    previous: topo.status,
    nodes,
    decision,
    ...(applyError ? { applyError } : {}),
    ...(refused ? { refused } : {}),
    now,
  });
  if (statusChanged(topo.status, status)) {
    await deps.patchStatus(topo, status);
    // Measured once: the status that says so is written (a failed write measures it again on the retry).
    if (decision.recovered) deps.recovered?.(decision.recovered.seconds, decision.recovered.trigger);
    await emitEvents(deps, topo, decision, topo.status, status, refused);
    const judged = decision.rolledBack ?? decision.failed;
    const taskFailure = judged && failures.find((f) => f.node === judged.node && f.detail);
    if (taskFailure)
      await deps.event(
        topo,
        "Warning",
        "TaskFailed",
        `task ${taskFailure.node} failed: ${taskFailure.detail}`,
      );
    // A kept revision goes once the history no longer holds it (historyLimit).
    const kept = decision.history.map((h) => h.revision);
    if ((topo.status?.history ?? []).some((h) => !kept.includes(h.revision)))
      await deps.pruneRevisions(topo, kept);
  }
  // The apply's own error, so the queue sees its kind: Retry-After, a conflict retried at once, a 422
  // that no retry can fix (terminal until the spec changes).
  if (failure) throw failure.err;
  const requeue = [decision.requeueAfterMs, retryInMs].filter((v): v is number => v !== undefined);
  return {
    phase: status.phase!,
    ...(requeue.length ? { requeueAfterMs: Math.max(100, Math.min(...requeue) + 50) } : {}),
  };
}

/**
 * Applies in flight at once for a reconcile given no shared limit (ReconcileDeps.limit); the manager's
 * reconciles share TOPO_APPLY_CONCURRENCY slots.
 */
export const APPLY_CONCURRENCY = 8;

/** The kinds a workload needs in place before it starts: what its pods mount, their claims, the Services
 * they are given as environment, and the NetworkPolicies that must guard them from their first packet. */
const PREREQUISITES: ReadonlySet<string> = new Set([
  "ConfigMap",
  "PersistentVolumeClaim",
  "Service",
  "NetworkPolicy",
]);

/**
 * Applies the changed objects in two waves, as Argo CD applies sync waves: first every prerequisite (the
 * ConfigMaps, claims, Services and NetworkPolicies), then the workloads (Jobs and Deployments). The objects
 * of a wave are applied concurrently, as many at once as `deps.limit` gives slots (APPLY_CONCURRENCY when
 * it is not set): one round trip's wait per wave rather than per object or per kind. After a failure
 * nothing more is started; the applies in flight end, and the failure reported is the first in
 * OWNED_KINDS' order.
 */
async function applyInWaves(
  deps: ReconcileDeps,
  changes: { key: string; obj: KubeObject }[],
): Promise<{ key: string; err: unknown } | undefined> {
  const rank = (kind: string) => OWNED_KINDS.findIndex((k) => k.kind === kind);
  const ordered = [...changes].sort((a, b) => rank(a.obj.kind) - rank(b.obj.kind)); // stable
  const limit = deps.limit ?? pLimit(APPLY_CONCURRENCY);
  for (const wave of [
    ordered.filter((c) => PREREQUISITES.has(c.obj.kind)),
    ordered.filter((c) => !PREREQUISITES.has(c.obj.kind)),
  ]) {
    const failures: { index: number; key: string; err: unknown }[] = [];
    await Promise.all(
      wave.map(({ key, obj }, index) =>
        limit(async () => {
          if (failures.length) return; // a slot given after a failure starts nothing
          try {
            await deps.apply(obj);
          } catch (err) {
            // The namespace is going, and its Topologies with it: expected, and nothing to act on.
            if (isNamespaceTerminating(err)) deps.log.debug({ object: key }, "namespace is being terminated");
            else deps.log.warn({ err, object: key }, "apply failed");
            failures.push({ index, key, err });
          }
        }),
      ),
    );
    if (failures.length) return failures.sort((a, b) => a.index - b.index)[0]!;
  }
  return undefined;
}

/** The ConfigMap of files a pod, or a workload's pod template, mounts (its topo.dev/files annotation). */
function mountedConfigMap(o: {
  metadata?: { annotations?: Record<string, string> };
  spec?: unknown;
}): string | undefined {
  const template = (o.spec as { template?: { metadata?: { annotations?: Record<string, string> } } })
    ?.template;
  return (template ?? o).metadata?.annotations?.[ANNOTATION_FILES];
}

/** The log of a pod's container, when the deps can read one. */
const logReader = (deps: ReconcileDeps, namespace: string) =>
  deps.readLog &&
  ((pod: string, container: string, lines: number) => deps.readLog!(namespace, pod, container, lines));

/** The object with one more annotation. */
function withAnnotation(obj: KubeObject, key: string, value: string): KubeObject {
  return {
    ...obj,
    metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [key]: value } },
  };
}

interface Pin {
  revision: number;
  objects: KubeObject[];
  snapshot: RevisionSnapshot;
}

/**
 * What topo.dev/rollback-to asks for: the kept revision to pin, or why it is refused. A refused request
 * changes nothing: a Topology already pinned stays on its revision, any other goes on with its spec.
 * The revision the children run Ready is kept first when the request starts a rollback, so that a later
 * request (`--to` it) finds it: a revision is otherwise kept only once a newer one supersedes it.
 */
async function resolvePin(
  deps: ReconcileDeps,
  topo: TopologyResource,
  request: string,
  history: readonly HistoryEntry[],
  lastGood: HistoryEntry | undefined,
): Promise<{ pin?: Pin; refused?: string }> {
  const latest = history.at(-1);
  const held = latest?.trigger === "manual" ? latest.revision : undefined;
  const load = async (revision: number): Promise<Pin | undefined> => {
    const objects = await deps.loadRevision(topo, revision);
    return objects && { revision, objects, snapshot: snapshotOf(objects) };
  };
  const keepRunning = async () => {
    const running = latest?.outcome === "Succeeded" ? latest : lastGood;
    if (running?.hash) await deps.keepRevision(topo, running.revision, running.hash, running.tasks);
  };
  const holdOr = async (refused: string) => {
    const pin = held !== undefined ? await load(held) : undefined;
    return pin ? { pin, refused } : { refused };
  };
  const value = request.trim();
  if (!/^[1-9][0-9]{0,8}$/.test(value)) return holdOr(`"${request}" is not a revision number`);
  const revision = Number(value);
  if (revision === held) {
    const pin = await load(revision);
    if (pin) return { pin };
  }
  const entries = history.filter((h) => h.revision === revision);
  if (!entries.length) {
    const known = [...new Set(history.map((h) => h.revision))].join(", ") || "none";
    return holdOr(
      `revision ${revision} is not kept (status.history holds revisions ${known}); nothing was changed`,
    );
  }
  if (!entries.some((h) => h.outcome === "Succeeded")) {
    return holdOr(
      `revision ${revision} never ran Ready (${entries.at(-1)!.outcome}), so it is not kept; nothing was changed`,
    );
  }
  await keepRunning();
  const pin = await load(revision);
  if (!pin) return holdOr(`revision ${revision} is no longer kept; nothing was changed`);
  return { pin };
}

/** The objects to apply: the desired ones, or the last good revision's (kept) after a rollback. */
function targetObjects(
  deps: ReconcileDeps,
  decision: RolloutDecision,
  desired: KubeObject[],
  kept: KubeObject[] | undefined,
): KubeObject[] {
  if (decision.target !== "lastGood" || decision.lastGoodRevision === undefined) return desired;
  if (kept) return kept;
  deps.log.warn(
    { revision: decision.lastGoodRevision },
    "last good revision is not stored; keeping the desired one",
  );
  return desired;
}

async function emitEvents(
  deps: ReconcileDeps,
  topo: TopologyResource,
  d: RolloutDecision,
  prev: TopologyStatus | undefined,
  next: TopologyStatus,
  refused: string | undefined,
): Promise<void> {
  if (d.started) await deps.event(topo, "Normal", "RolloutStarted", `revision ${d.revision} is rolling out`);
  const pinnedOf = (s: TopologyStatus | undefined) =>
    s?.conditions?.find((c) => c.type === ConditionType.Pinned);
  const [was, is] = [pinnedOf(prev), pinnedOf(next)];
  if (d.manual)
    await deps.event(
      topo,
      "Normal",
      "ManualRollback",
      `rolling back by hand${d.manual.from !== undefined ? ` from revision ${d.manual.from}` : ""} to revision ${d.manual.revision} (${ANNOTATION_ROLLBACK_TO}); pinned until the annotation is removed`,
    );
  if (refused && is?.message !== was?.message)
    await deps.event(topo, "Warning", "RollbackRefused", `${ANNOTATION_ROLLBACK_TO} refused: ${refused}`);
  if (d.target === "pinned" && !d.manual && was?.status === "True" && is?.message !== was.message && !refused)
    await deps.event(topo, "Normal", "SpecHeld", is!.message);
  if (was?.status === "True" && is?.status === "False" && d.target !== "pinned")
    await deps.event(
      topo,
      "Normal",
      "Released",
      `${ANNOTATION_ROLLBACK_TO} removed: rolling forward to the spec (revision ${d.revision})`,
    );
  if (d.recovered)
    await deps.event(
      topo,
      "Normal",
      "Recovered",
      d.recovered.trigger === "manual"
        ? `every node is Ready on revision ${d.recovered.revision}, ${d.recovered.seconds}s after ${ANNOTATION_ROLLBACK_TO} asked for it`
        : `every node is Ready on revision ${d.recovered.revision} again, ${d.recovered.seconds}s after revision ${d.revision} failed`,
    );
  if (d.rolledBack) {
    const { revision, to, node, reason } = d.rolledBack;
    await deps.event(
      topo,
      "Warning",
      "RolledBack",
      `revision ${revision} failed on node ${node} (${reason}); rolled back to revision ${to}`,
    );
  }
  if (d.failed)
    await deps.event(
      topo,
      "Warning",
      "RolloutFailed",
      `revision ${d.failed.revision} failed on node ${d.failed.node} (${d.failed.reason})`,
    );
  const wasWaiting = new Set((prev?.nodes ?? []).filter((n) => n.phase === "Waiting").map((n) => n.name));
  for (const n of next.nodes ?? []) {
    if (n.phase === "Waiting" && !wasWaiting.has(n.name))
      await deps.event(topo, "Normal", "NodeWaiting", `node ${n.name} is ${n.message}`);
  }
  // A rollout that ends well shows in status (the Ready condition, `kubectl get topo`), as a Deployment's
  // does; an Event says so only when the Topology recovers from Degraded, which users need to see.
  if (prev?.phase === Phase.Degraded && next.phase === Phase.Ready)
    await deps.event(topo, "Normal", "Ready", `all nodes are Ready again at revision ${next.revision}`);
}
