// The real node of hack/real-node.sh (`hack/cluster.sh up --real-node`): a kubelet whose pods run as real
// containers, beside the kwok nodes. It is tainted, so nothing lands there by accident; a namespace made by
// realNodeNamespace() sends every pod created in it there (the API server's PodNodeSelector and
// PodTolerationRestriction admission plugins add the node selector and the toleration), so Topologies and
// charts need no scheduling fields. Its images come from the local Docker engine: importImages().
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { KubernetesObject, V1Namespace, V1Node } from "@kubernetes/client-node";
import { ApiError } from "../../../operator/src/kube/errors.ts";
import { request } from "../../../operator/src/kube/rest.ts";
import { kube, ROOT } from "../operator/harness.ts";

export const REAL_NODE_NAME = "real-node";
/** The taint and the label the node registers with (hack/real-node.sh TAINT_KEY). */
export const REAL_NODE_KEY = "topo.dev/real-node";
export const REAL_NODE_TAINT = { key: REAL_NODE_KEY, value: "true", effect: "NoSchedule" } as const;
export const REAL_NODE_SELECTOR = `${REAL_NODE_KEY}=true`;
/** The node's address (its network namespace's veth) and its pods' range. */
export const REAL_NODE_IP = "172.30.0.2";
export const REAL_NODE_POD_CIDR = "10.245.0.0/24";
/** The images hack/real-node.sh imports into the node's containerd: use them with imagePullPolicy Never. */
export const REAL_NODE_IMAGES = ["topo/testsvc:local", "topo/busybox:local", "topo/operator:dev"] as const;

/** The annotations that route a namespace's pods to the real node. */
export const REAL_NODE_NAMESPACE_ANNOTATIONS: Readonly<Record<string, string>> = {
  "scheduler.alpha.kubernetes.io/node-selector": REAL_NODE_SELECTOR,
  "scheduler.alpha.kubernetes.io/defaultTolerations": JSON.stringify([
    { key: REAL_NODE_KEY, operator: "Equal", value: "true", effect: "NoSchedule" },
  ]),
};

/** A Namespace whose pods all run on the real node. */
export function realNodeNamespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels, annotations: { ...REAL_NODE_NAMESPACE_ANNOTATIONS } },
  };
}

/** Creates realNodeNamespace(name) (or leaves an existing one as it is). */
export async function createRealNodeNamespace(
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  try {
    await request(kube().kc, "POST", "/api/v1/namespaces", { body: realNodeNamespace(name, labels) });
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
}

/**
 * The real node, Ready. Throws (so the calling test fails, never skips) when the cluster has none: CI brings
 * it up with `hack/cluster.sh up --real-node`, and so does the e2e global setup when it starts the cluster.
 */
export async function requireRealNode(): Promise<V1Node> {
  let node: V1Node;
  try {
    node = await request<V1Node>(kube().kc, "GET", `/api/v1/nodes/${REAL_NODE_NAME}`);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404)
      throw new Error(
        `this cluster has no real node (${REAL_NODE_NAME}): start it with hack/cluster.sh up --real-node`,
        { cause: err },
      );
    throw err;
  }
  const ready = node.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True")
    throw new Error(
      `the real node ${REAL_NODE_NAME} is not Ready (${ready?.reason ?? "no Ready condition"}): see hack/real-node.sh diagnose`,
    );
  return node;
}

/** Imports local Docker images into the real node's containerd (after a test rebuilt one). */
export async function importImages(...images: string[]): Promise<void> {
  await promisify(execFile)(join(ROOT, "hack/real-node.sh"), ["images", ...images], {
    cwd: ROOT,
    timeout: 300_000,
  });
}

/** Whether a pod (as read from the API) runs on the real node. */
export const onRealNode = (pod: KubernetesObject & { spec?: { nodeName?: string } }): boolean =>
  pod.spec?.nodeName === REAL_NODE_NAME;
