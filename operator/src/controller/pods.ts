// findPodFailure: a pod of the target revision stuck in a terminal waiting reason for longer than a grace period.
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
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string | Date;
  };
  status?: {
    containerStatuses?: { name: string; state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

/** The first failing pod among those running the target templates (node → config hash), if any. */
export function findPodFailure(
  pods: readonly PodLike[],
  templates: Record<string, string>,
  now: Date,
  graceMs: number,
): { failure?: Failure; retryInMs?: number } {
  let retryInMs: number | undefined;
  for (const pod of pods) {
    const node = pod.metadata?.labels?.[LABEL_NODE];
    if (!node || pod.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] !== templates[node]) continue;
    const waiting = pod.status?.containerStatuses
      ?.map((c) => c.state?.waiting)
      .find((w) => w?.reason && TERMINAL_WAITING.has(w.reason));
    if (!waiting) continue;
    const age = now.getTime() - new Date(pod.metadata?.creationTimestamp ?? now).getTime();
    if (age >= graceMs)
      return {
        failure: { node, reason: waiting.reason!, ...(waiting.message ? { message: waiting.message } : {}) },
      };
    retryInMs = Math.min(retryInMs ?? Infinity, graceMs - age);
  }
  return retryInMs === undefined ? {} : { retryInMs };
}
