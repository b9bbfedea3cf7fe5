// What the real node's Topology suites share: kubectl through the API server (exec and logs reach the
// kubelet as a user's would), a Topology's pods as the API server stores them, and a GET made from inside a
// pod with testsvc's own client (cluster DNS, the Service's ClusterIP, the NetworkPolicies on the way).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { V1Pod } from "@kubernetes/client-node";
import { LABEL_NODE, LABEL_TOPOLOGY } from "../../../operator/src/api/constants.ts";
import { request } from "../../../operator/src/kube/rest.ts";
import { kube } from "../operator/harness.ts";

export interface Run {
  code: number;
  out: string;
}

/** kubectl with the current KUBECONFIG; never throws, the exit status says how it went. */
export async function kubectl(...args: string[]): Promise<Run> {
  const bin = process.env.TOPO_KUBECTL ?? "kubectl";
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** A command in a pod's first container, through the API server and the kubelet. */
export const execIn = (namespace: string, pod: string, ...cmd: string[]): Promise<Run> =>
  kubectl("exec", "-n", namespace, pod, "--", ...cmd);

/**
 * One GET of `url` from inside a pod with `testsvc get`, cut off after `seconds` (busybox's timeout): a
 * connection a NetworkPolicy drops times out rather than hanging on testsvc's own 10 s.
 */
export const getFrom = (namespace: string, pod: string, url: string, seconds = 3): Promise<Run> =>
  execIn(namespace, pod, "timeout", String(seconds), "testsvc", "get", url);

export const isPodReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** The pods of one node of a Topology (all of its revisions), oldest first. */
export async function nodePods(namespace: string, topology: string, node: string): Promise<V1Pod[]> {
  const list = await request<{ items: V1Pod[] }>(kube().kc, "GET", `/api/v1/namespaces/${namespace}/pods`, {
    query: { labelSelector: `${LABEL_TOPOLOGY}=${topology},${LABEL_NODE}=${node}` },
  });
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .sort((a, b) =>
      String(a.metadata!.creationTimestamp).localeCompare(String(b.metadata!.creationTimestamp)),
    );
}

/** The one running, Ready pod of a node (waits for none; throws unless exactly one). */
export async function readyPod(namespace: string, topology: string, node: string): Promise<V1Pod> {
  const ready = (await nodePods(namespace, topology, node)).filter(isPodReady);
  if (ready.length !== 1)
    throw new Error(`expected one Ready pod of ${topology}/${node}, found ${ready.length}`);
  return ready[0]!;
}

/** The Events of a namespace about one object (the kubelet's probe failures are about pods). */
export async function eventsAbout(
  namespace: string,
  name: string,
): Promise<{ reason: string; message: string; source?: { component?: string } }[]> {
  const list = await request<{
    items: {
      reason: string;
      message: string;
      source?: { component?: string };
      involvedObject: { name: string };
    }[];
  }>(kube().kc, "GET", `/api/v1/namespaces/${namespace}/events`);
  return list.items.filter((e) => e.involvedObject.name === name);
}

/** A random suffix for namespace names. */
export const suffix = (): string => Math.random().toString(36).slice(2, 8);
