// What a node's pods say beyond its Deployment: the pods of the target revision stuck in a terminal waiting
// reason for longer than a grace period (findPodFailures), those the scheduler cannot place
// (findUnschedulable), and on how many cluster nodes the Ready ones run (spreadOver). Pure.
import { ANNOTATION_CONFIG_HASH, LABEL_NODE } from "../api/constants.ts";
import type { Failure } from "./rollout.ts";

export const TERMINAL_WAITING = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

export interface PodLike {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
  };
  spec?: { nodeName?: string };
  status?: {
    conditions?: { type: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

/**
 * The failing pods among those running the target templates (node → config hash): the first per node, in
 * the order of the pods. A node whose pods fail within the grace period only sets when to look again.
 */
export function findPodFailures(
  pods: readonly PodLike[],
  templates: Record<string, string>,
  now: Date,
  graceMs: number,
): { failures: Failure[]; retryInMs?: number } {
  const failures = new Map<string, Failure>();
  let retryInMs: number | undefined;
  for (const pod of pods) {
    const node = pod.metadata?.labels?.[LABEL_NODE];
    if (!node || failures.has(node)) continue;
    if (pod.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] !== templates[node]) continue;
    const waiting = pod.status?.containerStatuses
      ?.map((c) => c.state?.waiting)
      .find((w) => w?.reason && TERMINAL_WAITING.has(w.reason));
    if (!waiting) continue;
    const age = now.getTime() - new Date(pod.metadata?.creationTimestamp ?? now).getTime();
    if (age >= graceMs)
      failures.set(node, {
        node,
        reason: waiting.reason!,
        ...(waiting.message ? { message: waiting.message } : {}),
      });
    else retryInMs = Math.min(retryInMs ?? Infinity, graceMs - age);
  }
  return { failures: [...failures.values()], ...(retryInMs === undefined ? {} : { retryInMs }) };
}

const condition = (pod: PodLike, type: string) => pod.status?.conditions?.find((c) => c.type === type);

/** Per node, on how many distinct cluster nodes its Ready pods (not being deleted) run. */
export function spreadOver(pods: readonly PodLike[]): Map<string, number> {
  const hosts = new Map<string, Set<string>>();
  for (const pod of pods) {
    const node = pod.metadata?.labels?.[LABEL_NODE];
    const host = pod.spec?.nodeName;
    if (!node || !host || pod.metadata?.deletionTimestamp) continue;
    if (condition(pod, "Ready")?.status !== "True") continue;
    hosts.set(node, (hosts.get(node) ?? new Set()).add(host));
  }
  return new Map([...hosts].map(([node, set]) => [node, set.size]));
}

/**
 * Per node, why the scheduler leaves pods of its target template (node → config hash) Pending: `2 pods
 * unschedulable: 0/4 nodes are available: 4 node(s) didn't match pod topology spread constraints.`, with
 * the scheduler's message of the first such pod. A rollout that does not finish says so, not only that it
 * ran out of time.
 */
export function findUnschedulable(
  pods: readonly PodLike[],
  templates: Record<string, string>,
): Map<string, string> {
  const stuck = new Map<string, { count: number; message: string }>();
  for (const pod of pods) {
    const node = pod.metadata?.labels?.[LABEL_NODE];
    if (!node || pod.metadata?.deletionTimestamp) continue;
    if (pod.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] !== templates[node]) continue;
    const scheduled = condition(pod, "PodScheduled");
    if (scheduled?.status !== "False" || scheduled.reason !== "Unschedulable") continue;
    const seen = stuck.get(node);
    stuck.set(node, { count: (seen?.count ?? 0) + 1, message: seen?.message ?? scheduled.message ?? "" });
  }
  return new Map(
    [...stuck].map(([node, { count, message }]) => [
      node,
      `${count} pod${count > 1 ? "s" : ""} unschedulable${message ? `: ${message}` : ""}`,
    ]),
  );
}
