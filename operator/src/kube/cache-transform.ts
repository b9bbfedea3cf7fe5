// What the informer caches keep of each object (pure). The cache holds every managed object in the
// watched namespaces for the life of the process, so it drops what reconcile never reads: managedFields
// on every kind (controller-runtime's TransformStripManagedFields), kubectl's last-applied copy of the
// object, and everything of a Pod but the few fields that say whether it is failing.
import type { KubernetesObject } from "./client.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

interface Meta {
  managedFields?: unknown;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

/** The object without metadata.managedFields and kubectl's last-applied-configuration annotation. */
export function stripBookkeeping<T extends KubernetesObject>(obj: T): T {
  const meta = obj.metadata as Meta | undefined;
  if (!meta || (meta.managedFields === undefined && meta.annotations?.[LAST_APPLIED] === undefined))
    return obj;
  const { managedFields: _dropped, ...metadata } = meta;
  if (metadata.annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _copy, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  return { ...obj, metadata } as T;
}

interface PodIn {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
    deletionTimestamp?: string | Date;
  };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      ready?: boolean;
      restartCount?: number;
      state?: { waiting?: { reason?: string; message?: string } };
    }[];
  };
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The conditions reconcile reads: whether a pod is Ready, and why it is not scheduled. */
const KEPT_CONDITIONS = new Set(["Ready", "PodScheduled"]);

/**
 * A Pod as reconcile reads it: identity, labels and annotations (node and config hash), owners, age,
 * the cluster node it runs on, its Ready and PodScheduled conditions, and per container whether and why
 * it is waiting. The rest of a Pod's spec and status is large and unused: reconcile judges health from
 * Deployments, and Pods only for terminal waiting reasons, unschedulable pods and the spread.
 */
export function trimPod(obj: object): KubernetesObject {
  const pod = obj as PodIn;
  const m = pod.metadata ?? {};
  const statuses = pod.status?.containerStatuses?.map((c) =>
    defined({
      name: c.name,
      ready: c.ready,
      restartCount: c.restartCount,
      state: c.state?.waiting
        ? { waiting: defined({ reason: c.state.waiting.reason, message: c.state.waiting.message }) }
        : undefined,
    }),
  );
  const conditions = pod.status?.conditions
    ?.filter((c) => KEPT_CONDITIONS.has(c.type))
    .map((c) => defined({ type: c.type, status: c.status, reason: c.reason, message: c.message }));
  return defined({
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: defined({
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
      labels: m.labels,
      annotations: m.annotations,
      ownerReferences: m.ownerReferences,
    }),
    spec: pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : undefined,
    status: pod.status
      ? defined({ phase: pod.status.phase, conditions, containerStatuses: statuses })
      : undefined,
  }) as KubernetesObject;
}
