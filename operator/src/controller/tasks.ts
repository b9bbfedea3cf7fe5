// A task's Job as reconcile judges it: Waiting, Running, Succeeded or Failed, with why (pure but for a
// failed task's log, read through the reader it is given).
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_TASK_REVISION,
  LABEL_JOB_NAME,
  NodePhase,
} from "../api/constants.ts";
import type { PodLike } from "./pods.ts";
import { changedNodes, type Failure, type RevisionSnapshot } from "./rollout.ts";
import type { ObservedNode } from "./status.ts";

export interface JobLike {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string | Date;
  };
  spec?: {
    backoffLimit?: number;
    template?: {
      metadata?: { annotations?: Record<string, string> };
      spec?: { containers?: { name?: string; image?: string }[] };
    };
  };
  status?: {
    active?: number;
    failed?: number;
    succeeded?: number;
    completionTime?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export type TaskPhase = typeof NodePhase.Running | typeof NodePhase.Succeeded | typeof NodePhase.Failed;

const holds = (job: JobLike, ...types: string[]) =>
  job.status?.conditions?.find((c) => types.includes(c.type) && c.status === "True");

/**
 * Where a Job is: Succeeded once Complete (or SuccessCriteriaMet), Failed once Failed (or FailureTarget,
 * set while its last pods terminate), Running before.
 */
export function jobPhase(job: JobLike): TaskPhase {
  if (holds(job, "Complete", "SuccessCriteriaMet")) return NodePhase.Succeeded;
  if (holds(job, "Failed", "FailureTarget")) return NodePhase.Failed;
  return NodePhase.Running;
}

/** The revision that created a Job (its annotation), if it says. */
export function jobRevision(job: JobLike): number | undefined {
  const value = Number(job.metadata.annotations?.[ANNOTATION_TASK_REVISION]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * A Job that failed in a revision before `revision`: that revision runs the task again, so the Job goes
 * (its template cannot change) and a new one is created.
 */
export function failedEarlier(job: JobLike, revision: number): boolean {
  return jobPhase(job) === NodePhase.Failed && (jobRevision(job) ?? 0) < revision;
}

/**
 * Why a Job failed: its Failed condition's reason and message, and how many attempts failed (a Job out of
 * retries made backoffLimit + 1; status.failed may not count the last one yet).
 */
export function jobFailure(job: JobLike): { reason: string; message: string } {
  const c = holds(job, "Failed", "FailureTarget");
  const reason = c?.reason ?? "TaskFailed";
  const said = c?.message ? c.message.replace(/\.$/, "") : "the task failed";
  const attempts =
    reason === "BackoffLimitExceeded" ? (job.spec?.backoffLimit ?? 0) + 1 : (job.status?.failed ?? 0);
  if (attempts === 0) return { reason, message: said };
  return { reason, message: `${said} (${attempts} ${attempts === 1 ? "attempt" : "attempts"} failed)` };
}

/** The task's last pod (the newest of the Job's), whose log says why it failed. */
export function lastPodOf(job: JobLike, pods: readonly PodLike[]): PodLike | undefined {
  const mine = pods.filter((p) => p.metadata?.labels?.[LABEL_JOB_NAME] === job.metadata.name);
  const created = (p: PodLike) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  return mine.sort((a, b) => created(b) - created(a))[0];
}

/**
 * A task as the status shows it. `done` is a task of a revision rolled back to: never run again, its
 * success in that revision stands, whether or not its Job is still kept.
 */
export function observeTask(
  name: string,
  job: JobLike | undefined,
  opts: { targetHash: string | undefined; revision: number; done?: boolean; image?: string },
): ObservedNode {
  const image = job?.spec?.template?.spec?.containers?.[0]?.image ?? opts.image;
  const base = { name, ...(image ? { image } : {}), replicas: 1 };
  const ran = job && jobRevision(job);
  const inRevision = ran !== undefined && ran !== opts.revision ? ` in revision ${ran}` : "";
  const current = job?.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] === opts.targetHash;
  if (opts.done)
    return {
      ...base,
      readyReplicas: 1,
      ready: true,
      task: { phase: NodePhase.Succeeded, message: `succeeded${inRevision}; not run again` },
    };
  if (!job || !current || job.metadata.deletionTimestamp)
    return {
      ...base,
      readyReplicas: 0,
      ready: false,
      task: { phase: NodePhase.Running, message: "starting" },
    };
  if (failedEarlier(job, opts.revision))
    return {
      ...base,
      readyReplicas: 0,
      ready: false,
      task: { phase: NodePhase.Running, message: `running again: it failed in revision ${ran ?? "?"}` },
    };
  const phase = jobPhase(job);
  if (phase === NodePhase.Succeeded)
    return { ...base, readyReplicas: 1, ready: true, task: { phase, message: `succeeded${inRevision}` } };
  if (phase === NodePhase.Failed) {
    const f = jobFailure(job);
    return { ...base, readyReplicas: 0, ready: false, task: { phase, message: `${f.reason}: ${f.message}` } };
  }
  const failed = job.status?.failed ?? 0;
  const tries = (job.spec?.backoffLimit ?? 0) + 1;
  return {
    ...base,
    readyReplicas: 0,
    ready: false,
    task: { phase, message: failed > 0 ? `attempt ${failed + 1} of ${tries}` : "running" },
  };
}

/** Log lines of a failed task that its failure message carries. */
const TASK_LOG_LINES = 10;

/** Reads the last `lines` lines of a pod's container log; throws when it cannot. */
export type LogReader = (pod: string, container: string, lines: number) => Promise<string>;

/** What a failed task's message says of its log: its last lines, or why there are none. */
async function logLines(
  pod: string | undefined,
  container: string,
  read: LogReader | undefined,
): Promise<string> {
  if (!pod) return "its pods are gone, so there are no log lines";
  if (!read) return "no log lines (logs are not read here)";
  try {
    const lines = (await read(pod, container, TASK_LOG_LINES))
      .trimEnd()
      .split("\n")
      .filter((l) => l !== "")
      .slice(-TASK_LOG_LINES)
      .map((l) => (l.length > 300 ? `${l.slice(0, 300)}...` : l));
    return lines.length ? `last log lines of pod ${pod}:\n${lines.join("\n")}` : `pod ${pod} logged nothing`;
  } catch (err) {
    // The API server's own words (kwok's nodes serve no logs: it cannot reach their kubelet).
    const said = ((err as Error).cause as { message?: unknown } | undefined)?.message;
    return `no log lines: the API server could not read pod ${pod}'s log (${typeof said === "string" ? said : (err as Error).message})`;
  }
}

/**
 * The tasks of the desired revision whose Job failed in it, each with its Job's reason and, as detail,
 * the last lines of its last pod's log (or why there are none). Read once, when the revision is judged.
 */
export async function taskFailures(o: {
  snapshot: RevisionSnapshot;
  jobOf: (node: string, hash: string | undefined) => JobLike | undefined;
  pods: readonly PodLike[];
  revision: number;
  readLog?: LogReader | undefined;
}): Promise<Failure[]> {
  const out: Failure[] = [];
  for (const node of o.snapshot.tasks ?? []) {
    const job = o.jobOf(node, o.snapshot.templates[node]);
    if (!job || jobPhase(job) !== NodePhase.Failed || failedEarlier(job, o.revision)) continue;
    const { reason, message } = jobFailure(job);
    const logs = await logLines(lastPodOf(job, o.pods)?.metadata?.name, node, o.readLog);
    out.push({ node, reason, message, detail: `${message}; ${logs}` });
  }
  return out;
}

/**
 * The clock of the revision's changed tasks: whether one runs (a Job of this template that has not
 * finished, or one failed earlier that runs again), and when the last that succeeded finished (ms).
 */
export function taskClock(
  snapshot: RevisionSnapshot,
  previous: Record<string, string> | undefined,
  jobOf: (node: string, hash: string | undefined) => JobLike | undefined,
  revision: number,
): { running: boolean; succeededAt?: number } {
  const changed = changedNodes(snapshot.templates, previous).filter((n) => snapshot.tasks?.includes(n));
  let running = false;
  let succeededAt: number | undefined;
  for (const node of changed) {
    const job = jobOf(node, snapshot.templates[node]);
    if (!job) continue;
    const phase = jobPhase(job);
    if (phase === NodePhase.Running || failedEarlier(job, revision)) running = true;
    const at = Date.parse(job.status?.completionTime ?? "");
    if (phase === NodePhase.Succeeded && Number.isFinite(at)) succeededAt = Math.max(succeededAt ?? 0, at);
  }
  return { running, ...(succeededAt !== undefined ? { succeededAt } : {}) };
}
