// findPodFailures: the pods of the target revision stuck in a terminal waiting reason for longer than a grace period.
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
  };
  status?: {
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
