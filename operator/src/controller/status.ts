// computeStatus: the Topology's status from what was observed, a pure function compared before writing.
import { isDeepStrictEqual } from "node:util";
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_ROLLBACK_TO,
  ConditionType,
  Phase,
  Reason,
} from "../api/constants.ts";
import type { Condition, NodeStatus, TopologyStatus } from "../api/schema.ts";
import type { Failure, RolloutDecision } from "./rollout.ts";

/** What a Deployment's status says of a node, judged like `kubectl rollout status`. */
export interface ObservedNode {
  name: string;
  image?: string;
  replicas: number;
  readyReplicas: number;
  /** All replicas run the target template and are Ready. */
  ready: boolean;
  /**
   * The node's workload is not applied because these dependencies are not Ready (a task: has not
   * succeeded in this revision).
   */
  waitingOn?: string[];
  /** The nodes of waitingOn that are tasks. */
  waitingOnTasks?: string[];
  failure?: Failure;
  /** Set on a task: where its Job is. */
  task?: { phase: "Running" | "Succeeded" | "Failed"; message?: string };
  /** On how many cluster nodes its Ready pods run, when any is Ready. */
  spreadOver?: number;
  /** Why pods of the template it should run wait for a cluster node (the scheduler's message). */
  unschedulable?: string;
}

interface DeploymentLike {
  metadata?: { generation?: number };
  spec?: {
    replicas?: number;
    template?: {
      metadata?: { annotations?: Record<string, string> };
      spec?: { containers?: { image?: string }[] };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

export function observeDeployment(
  name: string,
  d: DeploymentLike | undefined,
  targetHash: string | undefined,
): ObservedNode {
  if (!d) return { name, replicas: 0, readyReplicas: 0, ready: false };
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const current = d.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] === targetHash;
  const settled = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
  const ready =
    current &&
    settled &&
    (s.updatedReplicas ?? 0) === want &&
    (s.readyReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want;
  const image = d.spec?.template?.spec?.containers?.[0]?.image;
  return { name, ...(image ? { image } : {}), replicas: want, readyReplicas: s.readyReplicas ?? 0, ready };
}

/** Sets a condition, keeping lastTransitionTime when its status did not change. */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition[] {
  const prev = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString();
  const merged = { ...next, lastTransitionTime };
  return prev ? conditions.map((c) => (c.type === next.type ? merged : c)) : [...conditions, merged];
}

export interface StatusInput {
  generation: number;
  previous: TopologyStatus | undefined;
  nodes: readonly ObservedNode[];
  decision: RolloutDecision;
  /** An error applying the children, reported honestly instead of claiming progress. */
  applyError?: string;
  /** Why the topo.dev/rollback-to annotation was refused (nothing was changed for it). */
  refused?: string;
  now: Date;
}

/**
 * A node's phase. A node that is not Ready is Progressing only while a revision that changed it rolls
 * out (or rolls back); otherwise it is an outage: Degraded.
 */
function nodePhase(n: ObservedNode, moving: boolean, rolledBack: boolean): NodeStatus["phase"] {
  if (n.waitingOn?.length) return "Waiting";
  if (n.task) return n.task.phase;
  if (n.failure) return "Degraded";
  if (n.ready) return rolledBack ? "RolledBack" : "Ready";
  return moving ? "Progressing" : "Degraded";
}

/** `waiting for db to be Ready`, `waiting for migrate to succeed`, or both. */
function waitingMessage(n: ObservedNode): string {
  const tasks = n.waitingOn!.filter((d) => n.waitingOnTasks?.includes(d));
  const others = n.waitingOn!.filter((d) => !tasks.includes(d));
  const parts = [
    ...(others.length ? [`${others.join(", ")} to be Ready`] : []),
    ...(tasks.length ? [`${tasks.join(", ")} to succeed`] : []),
  ];
  return `waiting for ${parts.join(" and ")}`;
}

function nodeMessage(n: ObservedNode, moving: boolean): string | undefined {
  if (n.waitingOn?.length) return waitingMessage(n);
  if (n.task) return n.task.message;
  if (n.failure) return `${n.failure.reason}: ${n.failure.message ?? ""}`.trim();
  if (!n.ready && n.unschedulable) return n.unschedulable;
  if (!n.ready && !moving) return `${n.readyReplicas}/${n.replicas} replicas Ready`;
  return undefined;
}

const list = (names: readonly string[]) =>
  `${names.slice(0, 10).join(", ")}${names.length > 10 ? ", ..." : ""}`;

export function computeStatus(input: StatusInput): TopologyStatus {
  const { decision, nodes, now, generation } = input;
  const latest = decision.history.at(-1)!;
  const inFlight = latest.outcome === "Progressing";
  const pinned = decision.target === "pinned";
  // Rolled back by itself, or held by hand at an earlier revision: either way not the spec's revision.
  const rolledBack = latest.outcome === "RolledBack" || (pinned && latest.outcome !== "Failed");
  // The nodes a rollout (or its rollback) is moving: their not being Ready is progress, not an outage.
  const changed = new Set(inFlight || rolledBack ? decision.changed : []);
  const notReady = nodes.filter((n) => !n.ready).map((n) => n.name);
  // Not Ready for a reason other than the change in flight: named in Degraded, never judged against it.
  const outage = nodes.filter((n) => !n.ready && !changed.has(n.name));
  const isDegraded = Boolean(input.applyError) || latest.outcome === "Failed" || outage.length > 0;
  const byHand = pinned ? `rolled back by hand to revision ${latest.revision}` : "";
  const phase: Phase =
    input.applyError || (isDegraded && !rolledBack)
      ? Phase.Degraded
      : rolledBack
        ? Phase.RolledBack
        : inFlight
          ? Phase.Progressing
          : Phase.Ready;
  const waiting = nodes.filter((n) => n.waitingOn?.length);
  const outageMessage = `not Ready: ${list(outage.map((n) => (n.failure ? `${n.name} (${n.failure.reason})` : n.name)))}${
    inFlight ? `; revision ${latest.revision} did not change ${outage.length > 1 ? "them" : "it"}` : ""
  }`;
  const degraded = input.applyError
    ? { reason: Reason.ApplyFailed, message: input.applyError }
    : latest.outcome === "Failed"
      ? { reason: Reason.ProgressDeadlineExceeded, message: latest.reason ?? `not Ready: ${list(notReady)}` }
      : isDegraded
        ? {
            reason: outage.some((n) => n.failure) ? Reason.PodFailing : Reason.NodesNotReady,
            message: outageMessage,
          }
        : { reason: Reason.AllNodesReady, message: "no node is degraded" };
  let conditions = [...(input.previous?.conditions ?? [])];
  const set = (type: string, status: boolean, reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type, status: status ? "True" : "False", reason, message, observedGeneration: generation },
      now,
    );
  };
  // Every node Ready on a revision that is not the spec's is not Ready: the spec is not what runs.
  const elsewhere = phase === Phase.RolledBack && notReady.length === 0;
  // Not Ready with every node Ready: what holds it back is the revision's failure or an apply error
  // (a first revision that missed its deadline has nothing to roll back to, and stays failed).
  const [heldReason, heldMessage] = input.applyError
    ? [Reason.ApplyFailed, input.applyError]
    : latest.outcome === "Failed"
      ? [
          Reason.ProgressDeadlineExceeded,
          `revision ${latest.revision} failed${latest.reason ? `: ${latest.reason}` : ""}; every node is Ready now`,
        ]
      : [Reason.RolloutInProgress, `revision ${latest.revision} is rolling out`];
  set(
    ConditionType.Ready,
    phase === Phase.Ready,
    phase === Phase.Ready
      ? Reason.AllNodesReady
      : elsewhere
        ? pinned
          ? Reason.ManualRollback
          : Reason.RolledBackToLastGood
        : notReady.length
          ? Reason.NodesNotReady
          : heldReason,
    phase === Phase.Ready
      ? `all ${nodes.length} nodes are Ready`
      : elsewhere
        ? `all ${nodes.length} nodes are Ready on revision ${pinned ? latest.revision : decision.lastGoodRevision}, not on the spec's`
        : notReady.length
          ? `not Ready: ${list(notReady)}`
          : heldMessage,
  );
  set(
    ConditionType.Progressing,
    inFlight,
    inFlight
      ? waiting.length
        ? Reason.WaitingForDependencies
        : Reason.RolloutInProgress
      : Reason.RolloutComplete,
    inFlight
      ? `revision ${latest.revision}${pinned ? " (a rollback by hand)" : ""} is rolling out${waiting.length ? `; ${waiting.map((n) => `${n.name} waits for ${n.waitingOn!.join(", ")}`).join("; ")}` : ""}`
      : `revision ${latest.revision} ${latest.outcome.toLowerCase()}`,
  );
  set(ConditionType.Degraded, isDegraded, degraded.reason, degraded.message);
  const rb = pinned
    ? {
        status: true,
        reason: Reason.ManualRollback,
        message: `${byHand}${latest.from !== undefined ? ` from revision ${latest.from}` : ""} (${ANNOTATION_ROLLBACK_TO})`,
      }
    : rolledBack
      ? {
          status: true,
          reason: Reason.RolledBackToLastGood,
          message: `revision ${latest.revision} failed: ${latest.reason ?? "unknown"}; rolled back to revision ${decision.lastGoodRevision}`,
        }
      : { status: false, reason: Reason.NoRollback, message: "the latest revision was not rolled back" };
  set(ConditionType.RolledBack, rb.status, rb.reason, rb.message);
  set(ConditionType.InvalidSpec, false, Reason.SpecValid, "the spec is valid");
  // Pinned appears once a rollback by hand was asked for, and stays (False) after it is released.
  const wasPinned = input.previous?.conditions?.some((c) => c.type === ConditionType.Pinned);
  if (pinned || input.refused || wasPinned) {
    const refusal = input.refused ? `; ${ANNOTATION_ROLLBACK_TO} refused: ${input.refused}` : "";
    const held =
      latest.generation !== undefined && generation > latest.generation
        ? `generation ${generation} of the spec is held, not rolled out, until the annotation is removed`
        : "a spec change is not rolled out until the annotation is removed";
    if (pinned)
      set(
        ConditionType.Pinned,
        true,
        Reason.ManualRollback,
        `pinned to revision ${latest.revision} by ${ANNOTATION_ROLLBACK_TO}: ${held}${refusal}`,
      );
    else if (input.refused)
      set(
        ConditionType.Pinned,
        false,
        Reason.RollbackRefused,
        `${ANNOTATION_ROLLBACK_TO} refused: ${input.refused}`,
      );
    else
      set(
        ConditionType.Pinned,
        false,
        Reason.NotPinned,
        `no ${ANNOTATION_ROLLBACK_TO}: the spec is rolled out`,
      );
  }
  const message = [
    ...(isDegraded ? [degraded.message] : []),
    ...(input.refused ? [`${ANNOTATION_ROLLBACK_TO} refused: ${input.refused}`] : []),
  ].join("; ");
  return {
    observedGeneration: generation,
    phase,
    revision: decision.revision,
    ...(decision.lastGoodRevision !== undefined ? { lastGoodRevision: decision.lastGoodRevision } : {}),
    readyNodes: `${nodes.length - notReady.length}/${nodes.length}`,
    ...(message ? { message } : {}),
    conditions,
    nodes: nodes.map((n) => {
      const message = nodeMessage(n, changed.has(n.name));
      return {
        name: n.name,
        ...(n.image ? { image: n.image } : {}),
        replicas: n.replicas,
        readyReplicas: n.readyReplicas,
        phase: nodePhase(n, changed.has(n.name), rolledBack),
        ...(message ? { message } : {}),
        ...(n.spreadOver ? { spreadOver: n.spreadOver } : {}),
      };
    }),
    history: decision.history,
  };
}

/** The status of a Topology whose spec is invalid: nothing is applied, the reason is shown. */
export function invalidStatus(
  previous: TopologyStatus | undefined,
  generation: number,
  message: string,
  now: Date,
): TopologyStatus {
  let conditions = [...(previous?.conditions ?? [])];
  conditions = setCondition(
    conditions,
    {
      type: ConditionType.InvalidSpec,
      status: "True",
      reason: Reason.SpecInvalid,
      message,
      observedGeneration: generation,
    },
    now,
  );
  conditions = setCondition(
    conditions,
    {
      type: ConditionType.Ready,
      status: "False",
      reason: Reason.SpecInvalid,
      message: "the spec is invalid",
      observedGeneration: generation,
    },
    now,
  );
  return { ...previous, observedGeneration: generation, phase: Phase.Invalid, message, conditions };
}

export function statusChanged(a: TopologyStatus | undefined, b: TopologyStatus): boolean {
  return !isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? {})), JSON.parse(JSON.stringify(b)));
}
