// reconcile(key): level-based orchestration — read the Topology and its children, decide, apply, report.
import { LABEL_NODE, Phase } from "../api/constants.ts";
import { parseSpec } from "../api/parse.ts";
import type { TopologyStatus } from "../api/schema.ts";
import { formatPath } from "../api/topology.ts";
import { OWNED_KINDS, renderKubernetes, type KubeObject } from "../render/k8s/index.ts";
import { applyReason } from "./compare.ts";
import { findPodFailures, type PodLike } from "./pods.ts";
import { decideRollout, snapshotOf, startsRevision, type RolloutDecision } from "./rollout.ts";
import {
  computeStatus,
  invalidStatus,
  observeDeployment,
  statusChanged,
  type ObservedNode,
} from "./status.ts";

export interface TopologyResource {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid: string; generation?: number; resourceVersion?: string };
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
   * no write for it. Returns false when the children no longer run it (their templates' hash differs).
   */
  keepRevision(topology: TopologyResource, revision: number, hash: string): Promise<boolean>;
  loadRevision(topology: TopologyResource, revision: number): Promise<KubeObject[] | undefined>;
  pruneRevisions(topology: TopologyResource, keep: number[]): Promise<void>;
  /** Records an Event on the Topology; it may be sent after this returns (see events.ts). */
  event(
    topology: TopologyResource,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void>;
  /** Seconds from a revision judged failed to its rollback applied (the topo_recovery_seconds histogram). */
  recovered?(seconds: number): void;
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
  const generation = topo.metadata.generation ?? 0;
  const now = deps.now();
  const parsed = parseSpec(topo.spec, { name, namespace, uid: topo.metadata.uid, generation });
  if (!parsed.ok) {
    const message = parsed.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("; ");
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

  const desiredNodes = topology.nodes.map((n) =>
    observeDeployment(n.name, deploymentOf(n.name), snapshot.templates[n.name]),
  );
  const { failures, retryInMs } = findPodFailures(pods, snapshot.templates, now, POD_FAILURE_GRACE_MS);
  const history = topo.status?.history ?? [];
  const lastGood = history.find((h) => h.revision === topo.status?.lastGoodRevision);
  // Before the first object of a new revision is applied, the children still run the last good one:
  // keep it now, since a rollback may need it.
  if (lastGood?.hash && startsRevision(history, snapshot.hash, generation)) {
    if (!(await deps.keepRevision(topo, lastGood.revision, lastGood.hash)))
      deps.log.warn(
        { revision: lastGood.revision },
        "children no longer run the last good revision; not kept",
      );
  }
  // A revision is judged on the nodes it changed from the last good one: its kept objects say what those
  // ran (the same objects a rollback applies). Read only while the desired revision is another one.
  const kept =
    lastGood?.hash && lastGood.hash !== snapshot.hash
      ? await deps.loadRevision(topo, lastGood.revision)
      : undefined;
  const decision = decideRollout({
    generation,
    desired: snapshot,
    history,
    ...(lastGood ? { lastGoodRevision: lastGood.revision } : {}),
    ...(kept ? { previousTemplates: snapshotOf(kept).templates } : {}),
    readyNodes: desiredNodes.filter((n) => n.ready).map((n) => n.name),
    failures,
    now,
    progressDeadlineSeconds: topology.rollout.progressDeadlineSeconds,
    autoRollback: topology.rollout.autoRollback,
    historyLimit: topology.rollout.historyLimit,
  });
  const target = targetObjects(deps, decision, desired, kept);
  const targetSnapshot = snapshotOf(target);

  // Dependency order: a node's workload is created only when every node it dependsOn is Ready.
  const readyNow = new Map(
    topology.nodes.map((n) => [
      n.name,
      observeDeployment(n.name, deploymentOf(n.name), targetSnapshot.templates[n.name]).ready,
    ]),
  );
  const waiting = new Map<string, string[]>();
  for (const n of topology.nodes) {
    const blockers = n.dependsOn.filter((d) => !readyNow.get(d));
    if (blockers.length && !deploymentOf(n.name)) waiting.set(n.name, blockers);
  }

  let applyError: string | undefined;
  let applyCause: unknown;
  const wanted = new Set<string>();
  for (const obj of target) {
    if (obj.kind === "Deployment" && waiting.has(nodeOf(obj))) continue;
    wanted.add(keyOf(obj));
    const reason = applyReason(obj, observed.get(keyOf(obj)));
    if (!reason) continue;
    deps.log.debug({ object: keyOf(obj), reason }, "applying");
    try {
      await deps.apply(obj);
    } catch (err) {
      applyError = `applying ${keyOf(obj)}: ${(err as Error).message}`;
      applyCause = err;
      deps.log.warn({ err, object: keyOf(obj) }, "apply failed");
      break;
    }
  }
  if (!applyError) {
    for (const [key, obj] of observed) if (!wanted.has(key)) await deps.remove(obj);
    if (decision.rolledBack) deps.recovered?.((deps.now().getTime() - decision.rolledBack.failedAt) / 1000);
  }

  const failed = new Map(failures.map((f) => [f.node, f]));
  const nodes: ObservedNode[] = topology.nodes.map((n) => {
    const o = observeDeployment(n.name, deploymentOf(n.name), targetSnapshot.templates[n.name]);
    return {
      ...o,
      ...(waiting.has(n.name) ? { waitingOn: waiting.get(n.name)! } : {}),
      ...(failed.has(n.name) ? { failure: failed.get(n.name)! } : {}),
    };
  });
  const status = computeStatus({
    generation,
    previous: topo.status,
    nodes,
    decision,
    ...(applyError ? { applyError } : {}),
    now,
  });
  if (statusChanged(topo.status, status)) {
    await deps.patchStatus(topo, status);
    await emitEvents(deps, topo, decision, topo.status, status);
    // A kept revision goes once the history no longer holds it (historyLimit).
    const kept = decision.history.map((h) => h.revision);
    if ((topo.status?.history ?? []).some((h) => !kept.includes(h.revision)))
      await deps.pruneRevisions(topo, kept);
  }
  // The apply's own error, so the queue sees its kind: Retry-After, a conflict retried at once, a 422
  // that no retry can fix (terminal until the spec changes).
  if (applyCause !== undefined) throw applyCause;
  const requeue = [decision.requeueAfterMs, retryInMs].filter((v): v is number => v !== undefined);
  return {
    phase: status.phase!,
    ...(requeue.length ? { requeueAfterMs: Math.max(100, Math.min(...requeue) + 50) } : {}),
  };
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
): Promise<void> {
  if (d.started) await deps.event(topo, "Normal", "RolloutStarted", `revision ${d.revision} is rolling out`);
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
