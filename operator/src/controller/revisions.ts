// The kept-revision store: a Topology's last good revisions, each in a ControllerRevision it owns (as a
// StatefulSet keeps its own). A revision is written once, when a newer one supersedes it, from what the
// children running it hold (read back from managedFields); it is read for a rollback and pruned with the
// history.
import {
  ANNOTATION_CONFIG_HASH,
  FIELD_MANAGER,
  LABEL_NODE,
  LABEL_REVISION,
  LABEL_TOPOLOGY,
} from "../api/constants.ts";
import type { KubeObject } from "../render/k8s/index.ts";
import { OWNED_KINDS } from "../render/k8s/index.ts";
import { adopt, deleteObject, getObject } from "../kube/apply.ts";
import type { KubeConfig, KubernetesObject } from "../kube/client.ts";
import { Conflict } from "../kube/errors.ts";
import { extractOwned, type ManagedFieldsEntry } from "../kube/managed-fields.ts";
import { request, resourcePath } from "../kube/rest.ts";
import { snapshotOf } from "./rollout.ts";
import type { TopologyResource } from "./reconcile.ts";
import { ownerOf, ownedBy } from "./owner.ts";

type Count = (verb: string, kind: string) => void;
interface ControllerRevision extends KubernetesObject {
  revision?: number;
  data?: { objects?: KubeObject[] };
}

export const revisionName = (t: TopologyResource, revision: number) => `${t.metadata.name}-r${revision}`;

export interface RevisionStore {
  keep(
    topology: TopologyResource,
    revision: number,
    hash: string,
    tasks?: Record<string, string>,
  ): Promise<boolean>;
  load(topology: TopologyResource, revision: number): Promise<KubeObject[] | undefined>;
  prune(topology: TopologyResource, keep: number[]): Promise<void>;
}

const KEPT_KINDS = OWNED_KINDS.filter(({ kind }) => kind !== "ConfigMap");

/** Kept revisions read back, by Topology uid and revision: a rollout in flight reads its last good one on every reconcile. */
const MAX_LOADED = 256;

export function revisionStore(kc: KubeConfig, count: Count): RevisionStore {
  const loaded = new Map<string, KubeObject[]>();
  const ref = (t: TopologyResource, revision: number) => ({
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: { name: revisionName(t, revision), namespace: t.metadata.namespace },
  });
  return {
    async keep(t, revision, hash, tasks) {
      const { namespace, name } = t.metadata;
      if (await getObject(kc, ref(t, revision))) return true;
      // From the API server rather than the cache: the cache holds no managedFields. A node's ConfigMaps
      // are not copied (up to 256 KiB each): they stay in the cluster while a revision of the history
      // names them (historyChildren), and the revision's workloads name theirs.
      const lists = await Promise.all(
        KEPT_KINDS.map(({ apiVersion, kind }) =>
          request<{ items: (KubernetesObject & { metadata: { managedFields?: ManagedFieldsEntry[] } })[] }>(
            kc,
            "GET",
            resourcePath(apiVersion, kind, namespace),
            { query: { labelSelector: `${LABEL_TOPOLOGY}=${name}` } },
          ).then((l) => l.items.filter(ownedBy(t.metadata.uid)).map((o) => ({ ...o, apiVersion, kind }))),
        ),
      );
      // A task keeps a Job per template it ran: the revision holds only its own.
      const ofRevision = (o: KubernetesObject & { spec?: unknown }) =>
        o.kind !== "Job" ||
        tasks?.[o.metadata?.labels?.[LABEL_NODE] ?? ""] ===
          (o.spec as { template?: { metadata?: { annotations?: Record<string, string> } } })?.template
            ?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH];
      const objects = lists
        .flat()
        .filter(ofRevision)
        .map((o) => extractOwned(o, FIELD_MANAGER))
        .filter((o): o is Record<string, unknown> => o !== undefined) as unknown as KubeObject[];
      if (snapshotOf(objects).hash !== hash) return false;
      count("create", "ControllerRevision");
      const cr = adopt({ ...ref(t, revision), revision, data: { objects } }, ownerOf(t), {
        [LABEL_TOPOLOGY]: name,
        [LABEL_REVISION]: String(revision),
      });
      await request(kc, "POST", resourcePath("apps/v1", "ControllerRevision", namespace), {
        query: { fieldManager: FIELD_MANAGER },
        body: cr,
        answer: "metadata",
      }).catch((err: unknown) => {
        // Kept meanwhile by an earlier attempt: it holds the same revision.
        if (!(err instanceof Conflict)) throw err;
      });
      return true;
    },
    async load(t, revision) {
      // A ControllerRevision is written once and never changed: read it once per Topology uid.
      const key = `${t.metadata.uid}/${revision}`;
      const cached = loaded.get(key);
      if (cached) return cached;
      const objects = (await getObject<ControllerRevision>(kc, ref(t, revision)))?.data?.objects;
      if (objects) {
        if (loaded.size >= MAX_LOADED) loaded.delete(loaded.keys().next().value!);
        loaded.set(key, objects);
      }
      return objects;
    },
    async prune(t, keep) {
      const list = await request<{ items: KubernetesObject[] }>(
        kc,
        "GET",
        resourcePath("apps/v1", "ControllerRevision", t.metadata.namespace),
        { query: { labelSelector: `${LABEL_TOPOLOGY}=${t.metadata.name}` } },
      );
      for (const cr of list.items.filter(ownedBy(t.metadata.uid))) {
        const revision = Number(cr.metadata?.labels?.[LABEL_REVISION]);
        if (keep.includes(revision)) continue;
        loaded.delete(`${t.metadata.uid}/${revision}`);
        count("delete", "ControllerRevision");
        await deleteObject(kc, {
          apiVersion: "apps/v1",
          kind: "ControllerRevision",
          metadata: { name: cr.metadata!.name!, namespace: t.metadata.namespace },
        });
      }
    },
  };
}
