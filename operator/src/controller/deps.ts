// The Kubernetes side of reconcile: reads from informer caches, writes with server-side apply under one
// field manager, keeps revisions in ControllerRevisions and records Events. Every write is counted.
import { type KubeConfig, type KubernetesObject } from "../kube/client.ts";
import { deleteObject, request, resourcePath, serverSideApply } from "./rest.ts";
import {
  API_VERSION,
  FIELD_MANAGER,
  GROUP,
  KIND,
  LABEL_TOPOLOGY,
  PLURAL,
  VERSION,
} from "../api/constants.ts";
import type { TopologyStatus } from "../api/schema.ts";
import type { KubeObject } from "../render/k8s/index.ts";
import { EventRecorder } from "./events.ts";
import { extractOwned, type ManagedFieldsEntry } from "./managed-fields.ts";
import type { PodLike } from "./pods.ts";
import { snapshotOf } from "./rollout.ts";
import type { ChildObject, ReconcileDeps, TopologyResource } from "./reconcile.ts";

export interface CacheReader {
  get(kind: string, namespace: string, name: string): KubernetesObject | undefined;
  list(kind: string, namespace: string): KubernetesObject[];
}

export interface WriteCounter {
  inc(labels: { verb: string; kind: string }): void;
}

interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const REVISION_LABEL = "topo.dev/revision";
/** The kinds a Topology owns, as [apiVersion, kind]. */
const CHILD_KINDS = [
  ["apps/v1", "Deployment"],
  ["v1", "Service"],
  ["v1", "PersistentVolumeClaim"],
  ["networking.k8s.io/v1", "NetworkPolicy"],
] as const;

const owned = (uid: string) => (o: KubernetesObject) =>
  o.metadata?.ownerReferences?.some((r) => r.uid === uid) ?? false;

/** Status written by this process, newer than the informer cache until the watch catches up. */
class StatusMemo {
  private readonly memo = new Map<string, { uid: string; resourceVersion: string; status: TopologyStatus }>();
  remember(t: TopologyResource, resourceVersion: string, status: TopologyStatus): void {
    this.memo.set(`${t.metadata.namespace}/${t.metadata.name}`, {
      uid: t.metadata.uid,
      resourceVersion,
      status,
    });
  }
  /** The cached object, with the status this process wrote if the cache has not seen it yet. */
  apply(t: TopologyResource): TopologyResource {
    const m = this.memo.get(`${t.metadata.namespace}/${t.metadata.name}`);
    if (!m || m.uid !== t.metadata.uid) return t;
    if (BigInt(t.metadata.resourceVersion ?? "0") >= BigInt(m.resourceVersion)) {
      this.memo.delete(`${t.metadata.namespace}/${t.metadata.name}`);
      return t;
    }
    return { ...t, status: m.status };
  }
}

export function kubeDeps(opts: {
  kc: KubeConfig;
  cache: CacheReader;
  writes: WriteCounter;
  log: Logger;
  now?: () => Date;
}): ReconcileDeps {
  const memo = new StatusMemo();
  const count = (verb: string, kind: string) => opts.writes.inc({ verb, kind });
  const events = new EventRecorder<{
    metadata: { namespace: string; generateName: string };
    [field: string]: unknown;
  }>({
    send: async (e) => {
      count("create", "Event");
      await request(opts.kc, "POST", resourcePath("v1", "Event", e.metadata.namespace), { body: e });
    },
    onError: (err) => opts.log.warn({ err: (err as Error).message }, "could not record an event"),
    onDrop: () => opts.log.warn({}, "event buffer full; event dropped"),
  });
  const ownerRef = (t: TopologyResource) => ({
    apiVersion: API_VERSION,
    kind: KIND,
    name: t.metadata.name,
    uid: t.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  });
  const revisionName = (t: TopologyResource, revision: number) => `${t.metadata.name}-r${revision}`;

  return {
    now: opts.now ?? (() => new Date()),
    getTopology(namespace, name) {
      const t = opts.cache.get(KIND, namespace, name) as TopologyResource | undefined;
      return t && memo.apply(t);
    },
    listChildren(namespace, _topology, uid) {
      const byKind = Object.fromEntries(
        CHILD_KINDS.map(([, k]) => [k, opts.cache.list(k, namespace).filter(owned(uid)) as ChildObject[]]),
      );
      const pods = opts.cache
        .list("Pod", namespace)
        .filter((p) => p.metadata?.labels?.[LABEL_TOPOLOGY] === _topology) as PodLike[];
      return { byKind, pods };
    },
    async apply(obj) {
      count("apply", obj.kind);
      await serverSideApply(opts.kc, obj as Required<KubeObject>);
    },
    async remove(obj) {
      count("delete", obj.kind);
      const apiVersion = obj.apiVersion ?? CHILD_KINDS.find(([, kind]) => kind === obj.kind)?.[0] ?? "v1";
      await deleteObject(opts.kc, {
        apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace! },
      });
    },
    async patchStatus(t, status) {
      count("update", "Topology/status");
      // The whole status, guarded by the object's resourceVersion: a conflict means the cache was
      // stale, and the reconcile is retried on fresh data.
      const { namespace, name } = t.metadata;
      const body = { apiVersion: API_VERSION, kind: KIND, metadata: t.metadata, spec: t.spec, status };
      const updated = await request<KubernetesObject>(
        opts.kc,
        "PUT",
        `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}/status`,
        { query: { fieldManager: FIELD_MANAGER }, body },
      );
      memo.remember(t, updated.metadata?.resourceVersion ?? "0", status);
    },
    async keepRevision(t, revision, hash) {
      const { namespace, name, uid } = t.metadata;
      const crPath = resourcePath("apps/v1", "ControllerRevision", namespace, revisionName(t, revision));
      const kept = await request(opts.kc, "GET", crPath).then(
        () => true,
        (err: { code?: number }) => {
          if (err.code === 404) return false;
          throw err;
        },
      );
      if (kept) return true;
      // From the API server rather than the cache: the cache holds no managedFields.
      const lists = await Promise.all(
        CHILD_KINDS.map(([apiVersion, kind]) =>
          request<{ items: (KubernetesObject & { metadata: { managedFields?: ManagedFieldsEntry[] } })[] }>(
            opts.kc,
            "GET",
            resourcePath(apiVersion, kind, namespace),
            { query: { labelSelector: `${LABEL_TOPOLOGY}=${name}` } },
          ).then((l) => l.items.filter(owned(uid)).map((o) => ({ ...o, apiVersion, kind }))),
        ),
      );
      const objects = lists
        .flat()
        .map((o) => extractOwned(o, FIELD_MANAGER))
        .filter((o): o is Record<string, unknown> => o !== undefined) as unknown as KubeObject[];
      if (snapshotOf(objects).hash !== hash) return false;
      count("create", "ControllerRevision");
      const cr = {
        apiVersion: "apps/v1",
        kind: "ControllerRevision",
        metadata: {
          name: revisionName(t, revision),
          namespace,
          labels: { [LABEL_TOPOLOGY]: name, [REVISION_LABEL]: String(revision) },
          ownerReferences: [ownerRef(t)],
        },
        revision,
        data: { objects },
      };
      await request(opts.kc, "POST", resourcePath("apps/v1", "ControllerRevision", namespace), {
        query: { fieldManager: FIELD_MANAGER },
        body: cr,
      }).catch((err: { code?: number }) => {
        if (err.code !== 409) throw err; // kept meanwhile by an earlier attempt: it holds the same revision
      });
      return true;
    },
    async loadRevision(t, revision) {
      try {
        const cr = await request<{ data?: { objects?: KubeObject[] } }>(
          opts.kc,
          "GET",
          resourcePath("apps/v1", "ControllerRevision", t.metadata.namespace, revisionName(t, revision)),
        );
        return cr.data?.objects;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
    async pruneRevisions(t, keep) {
      const list = await request<{ items: KubernetesObject[] }>(
        opts.kc,
        "GET",
        resourcePath("apps/v1", "ControllerRevision", t.metadata.namespace),
        {
          query: { labelSelector: `${LABEL_TOPOLOGY}=${t.metadata.name}` },
        },
      );
      for (const cr of list.items.filter(owned(t.metadata.uid))) {
        if (keep.includes(Number(cr.metadata?.labels?.[REVISION_LABEL]))) continue;
        count("delete", "ControllerRevision");
        await deleteObject(opts.kc, {
          apiVersion: "apps/v1",
          kind: "ControllerRevision",
          metadata: { name: cr.metadata!.name!, namespace: t.metadata.namespace },
        });
      }
    },
    async event(t, type, reason, message) {
      const now = new Date().toISOString();
      events.record({
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${t.metadata.name}.`, namespace: t.metadata.namespace },
        involvedObject: {
          apiVersion: API_VERSION,
          kind: KIND,
          name: t.metadata.name,
          namespace: t.metadata.namespace,
          uid: t.metadata.uid,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: FIELD_MANAGER },
        reportingComponent: FIELD_MANAGER,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    },
    log: opts.log,
  };
}
