// The Kubernetes side of reconcile: reads from informer caches, writes with server-side apply under one
// field manager, keeps revisions in ControllerRevisions (revisions.ts) and records Events. Every write is
// counted.
import { createHash } from "node:crypto";
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
import { apiVersionOf, OWNED_KINDS, type KubeObject } from "../render/k8s/index.ts";
import { deleteObject, serverSideApply } from "../kube/apply.ts";
import type { KubeConfig, KubernetesObject } from "../kube/client.ts";
import { EventRecorder } from "../kube/events.ts";
import { request, requestText, resourcePath } from "../kube/rest.ts";
import type { PodLike } from "./pods.ts";
import type { ChildObject, ReconcileDeps, TopologyResource } from "./reconcile.ts";
import { revisionStore } from "./revisions.ts";
import { AppliedMemo } from "./applied.ts";

export interface CacheReader {
  get(kind: string, namespace: string, name: string): KubernetesObject | undefined;
  list(kind: string, namespace: string): KubernetesObject[];
  /** The cached objects of `kind` that its informer's index `index` maps to `value`. */
  byIndex(kind: string, index: string, value: string): KubernetesObject[];
}

/**
 * The informer indexes a Topology's children are found by, so a reconcile reads its own children and not
 * every object in the namespace: the owned kinds by their owners' uids, pods (owned by ReplicaSets) by
 * their topology label.
 */
export const BY_OWNER = "owner";
export const BY_TOPOLOGY = "topology";
export const ownerUids = (o: KubernetesObject): string[] =>
  o.metadata?.ownerReferences?.map((r) => r.uid) ?? [];
export const topologyOf = (o: KubernetesObject): string[] => {
  const topology = o.metadata?.labels?.[LABEL_TOPOLOGY];
  return topology ? [`${o.metadata?.namespace ?? ""}/${topology}`] : [];
};

export interface WriteCounter {
  inc(labels: { verb: string; kind: string }): void;
}

/** Where each write's round trip is observed, in seconds (a prom-client Histogram). */
export interface WriteTimer {
  observe(labels: { verb: string }, seconds: number): void;
}

interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

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
  writeDuration?: WriteTimer;
  log: Logger;
  now?: () => Date;
}): ReconcileDeps {
  const memo = new StatusMemo();
  const applied = new AppliedMemo();
  const now = opts.now ?? (() => new Date());
  const count = (verb: string, kind: string) => opts.writes.inc({ verb, kind });
  /** Counts a write and times its round trip, failed or not. */
  const write = async <T>(verb: string, kind: string, send: () => Promise<T>): Promise<T> => {
    count(verb, kind);
    const start = performance.now();
    try {
      return await send();
    } finally {
      opts.writeDuration?.observe({ verb }, (performance.now() - start) / 1000);
    }
  };
  const events = new EventRecorder<{
    metadata: { namespace: string; generateName: string };
    [field: string]: unknown;
  }>({
    send: async (e) => {
      count("create", "Event");
      await request(opts.kc, "POST", resourcePath("v1", "Event", e.metadata.namespace), {
        body: e,
        answer: "metadata",
      });
    },
    onError: (err) => opts.log.warn({ err: (err as Error).message }, "could not record an event"),
    onDrop: () => opts.log.warn({}, "event buffer full; event dropped"),
  });
  const revisions = revisionStore(opts.kc, count);

  return {
    now,
    getTopology(namespace, name) {
      const t = opts.cache.get(KIND, namespace, name) as TopologyResource | undefined;
      return t && memo.apply(t);
    },
    listChildren(namespace, topology, uid) {
      const byKind = Object.fromEntries(
        OWNED_KINDS.map(({ kind }) => [
          kind,
          opts.cache
            .byIndex(kind, BY_OWNER, uid)
            .filter((o) => o.metadata?.namespace === namespace) as ChildObject[],
        ]),
      );
      const pods = opts.cache.byIndex("Pod", BY_TOPOLOGY, `${namespace}/${topology}`) as PodLike[];
      return { byKind, pods };
    },
    async apply(obj) {
      const { name, namespace = "" } = obj.metadata;
      const key = `${obj.kind}/${namespace}/${name}`;
      const digest = createHash("sha256").update(JSON.stringify(obj)).digest("base64");
      const cached = opts.cache.get(obj.kind, namespace, name);
      if (applied.pending(key, digest, cached?.metadata?.resourceVersion)) {
        opts.log.debug({ object: key }, "applied already; the cache has not seen it yet");
        return;
      }
      const answer = await write("apply", obj.kind, () =>
        // Reconcile reads the applied object from the informer, not from the answer.
        serverSideApply<KubernetesObject>(opts.kc, obj as Required<KubeObject>, {
          fieldManager: FIELD_MANAGER,
          answer: "metadata",
        }),
      );
      applied.remember(key, digest, answer.metadata?.resourceVersion);
    },
    async remove(obj) {
      const apiVersion = obj.apiVersion ?? apiVersionOf(obj.kind) ?? "v1";
      await write("delete", obj.kind, () =>
        deleteObject(opts.kc, {
          apiVersion,
          kind: obj.kind,
          metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace! },
        }),
      );
    },
    async patchStatus(t, status) {
      // The whole status, guarded by the object's resourceVersion: a conflict means the cache was
      // stale, and the reconcile is retried on fresh data.
      const { namespace, name } = t.metadata;
      const body = { apiVersion: API_VERSION, kind: KIND, metadata: t.metadata, spec: t.spec, status };
      const updated = await write("update", "Topology/status", () =>
        request<KubernetesObject>(
          opts.kc,
          "PUT",
          `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}/status`,
          { query: { fieldManager: FIELD_MANAGER }, body, answer: "metadata" },
        ),
      );
      memo.remember(t, updated.metadata?.resourceVersion ?? "0", status);
    },
    keepRevision: (t, revision, hash, tasks) => revisions.keep(t, revision, hash, tasks),
    loadRevision: (t, revision) => revisions.load(t, revision),
    pruneRevisions: (t, keep) => revisions.prune(t, keep),
    async readLog(namespace, pod, container, tailLines) {
      return requestText(opts.kc, `${resourcePath("v1", "Pod", namespace, pod)}/log`, {
        query: { container, tailLines: String(tailLines) },
      });
    },
    async event(t, type, reason, message) {
      const at = now().toISOString();
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
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      });
    },
    log: opts.log,
  };
}
