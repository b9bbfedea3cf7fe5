// What the informer caches keep of each object (pure). The cache holds every managed object in the
// watched namespaces for the life of the process, so it drops what reconcile never reads: managedFields
// on every kind (controller-runtime's TransformStripManagedFields), kubectl's last-applied copy of the
// object, everything of a Pod but the few fields that say whether it is failing, and of the children the
// operator applies, the spec fields it does not own and the status it does not read.
import type { KubernetesObject } from "./client.ts";
import { extractFields, mergeSets, type FieldSet, type ManagedFieldsEntry } from "./managed-fields.ts";

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

type Json = Parameters<typeof extractFields>[0];

/** The fields of `spec` that `manager` set with server-side apply (its Apply entries), or undefined. */
function ownedSpec(managedFields: unknown, manager: string): FieldSet | undefined {
  if (!Array.isArray(managedFields)) return undefined;
  let set: FieldSet | undefined;
  for (const e of managedFields as ManagedFieldsEntry[]) {
    if (e.manager !== manager || e.operation !== "Apply" || e.subresource || !e.fieldsV1) continue;
    const spec = e.fieldsV1["f:spec"];
    if (spec) set = set ? mergeSets(set, spec) : spec;
  }
  return set;
}

/** Spec fields reconcile reads as the workload runs them (status.ts, tasks.ts), owned or not: a Deployment
 * another manager scaled is reported with its replicas until the operator applies its own back. */
const READ_SPEC: Readonly<Record<string, readonly string[]>> = {
  Deployment: ["replicas"],
  Job: ["backoffLimit"],
};

/** What reconcile reads of a kind's status (status.ts); a kind not named here keeps all of it. */
const KEPT_STATUS: Readonly<Record<string, (status: Record<string, unknown>) => unknown>> = {
  // observeDeployment: whether every replica runs the current template, Ready. Not the conditions, which
  // are most of a Deployment's status (two messages and four timestamps).
  Deployment: (s) =>
    defined({
      observedGeneration: s.observedGeneration,
      replicas: s.replicas,
      updatedReplicas: s.updatedReplicas,
      readyReplicas: s.readyReplicas,
      availableReplicas: s.availableReplicas,
    }),
  // A ClusterIP Service's status is an empty load balancer: nothing reads it.
  Service: () => undefined,
};

/**
 * A child of `kind` the operator applies, as reconcile reads it: stripBookkeeping's, its spec cut to the fields
 * `manager` owns (read from managedFields before they are dropped) and its status to what reconcile reads.
 * Reconcile compares the fields it would apply with the observed ones (compare.ts), so the rest of a spec
 * is never read: the API server's defaults (a pod template's dnsPolicy, schedulerName and each container's
 * terminationMessagePath, a Service's clusterIPs and ipFamilies, a Job's selector) are a tenth of the
 * cached objects (60.9 instead of 67.4 KB per 10-node Topology before pooling, bench/cache-heap.ts), and
 * list items another manager added (an injected sidecar) are not the operator's to compare. A field that
 * another manager took over (`kubectl edit`) is no longer owned, so it is missing here and is applied back,
 * as a changed value was before. Without an Apply entry of `manager` (an object it did not apply) the
 * spec is kept whole.
 */
export function trimOwned(kind: string, manager: string): (obj: KubernetesObject) => KubernetesObject {
  const keepStatus = KEPT_STATUS[kind];
  const readSpec = READ_SPEC[kind] ?? [];
  return (obj) => {
    const o = obj as KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };
    const owned = o.spec === undefined ? undefined : ownedSpec(o.metadata?.managedFields, manager);
    const stripped = stripBookkeeping(o);
    if (!owned && !(keepStatus && o.status !== undefined)) return stripped;
    const { status, ...rest } = stripped as typeof o;
    const kept = keepStatus && status !== undefined ? keepStatus(status) : status;
    const out: Record<string, unknown> = rest;
    if (owned) {
      const spec = extractFields(o.spec as Json, owned, { absentAsEmpty: false }) as Record<string, Json>;
      const live = o.spec as Record<string, Json>;
      for (const f of readSpec) if (live[f] !== undefined && spec[f] === undefined) spec[f] = live[f];
      out.spec = spec;
    }
    if (kept !== undefined) out.status = kept;
    return out as KubernetesObject;
  };
}
