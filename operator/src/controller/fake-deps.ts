// An in-memory ReconcileDeps for the unit tests of reconcile(): one Topology, its children and their pods in
// a cache that apply and remove change as the API server would; every write is recorded. A pure seam: what
// the real API server does with these writes is held by the e2e suites.
import { isDeepStrictEqual } from "node:util";
import { ANNOTATION_CONFIG_HASH, LABEL_JOB_NAME, LABEL_NODE } from "../api/constants.ts";
import type { TopologyStatus } from "../api/schema.ts";
import type { KubeObject } from "../render/k8s/index.ts";
import type { PodLike } from "./pods.ts";
import type { ChildObject, ReconcileDeps, TopologyResource } from "./reconcile.ts";
import { snapshotOf } from "./rollout.ts";

type Child = ChildObject & {
  kind: string;
  metadata: ChildObject["metadata"] & { generation?: number };
  spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } };
};

export interface FakeCluster {
  deps: ReconcileDeps;
  /** The Topology as the cache holds it. */
  topology(): TopologyResource;
  /** Replaces the spec, bumping the generation as the API server does. */
  setSpec(spec: unknown): void;
  /** Sets (or, with undefined, removes) an annotation of the Topology; the generation stays. */
  annotate(key: string, value: string | undefined): void;
  /** The child `Kind/name`, as the cache holds it. */
  child(key: string): Child | undefined;
  /** Adds a child the Topology owns (one an earlier spec asked for). */
  addChild(obj: Child): void;
  /** Every applied object, in order. */
  applied: KubeObject[];
  /** Every removed child, as `Kind/name`. */
  removed: string[];
  statusWrites: TopologyStatus[];
  events: { type: string; reason: string; message: string }[];
  /** What deps.recovered was told: topo_recovery_seconds observations. */
  recoveries: { seconds: number; trigger: string }[];
  /** Kept revisions, by number. */
  revisions: Map<number, KubeObject[]>;
  /** Nodes whose pods do not become Ready (an outage, or a release that cannot start); a task's run on. */
  down: Set<string>;
  /** Tasks whose Job fails (after its retries) when it settles. */
  failing: Set<string>;
  /** What a task's pod logs, by node: deps.readLog answers it, or throws when a node has none. */
  logs: Map<string, string>;
  /** Makes the next apply of `Kind/name` fail with `err`. */
  failApply(key: string, err: Error): void;
  /**
   * The Deployment and Job controllers and the kubelets catch up: every Deployment of a node not down is
   * Ready, and every Job has run a pod and completed, or failed if its node is failing (one still running
   * if its node is down).
   */
  settle(): void;
  /** A pod of the node's current template has been in CrashLoopBackOff for a minute. */
  crashLoop(node: string): void;
  advance(seconds: number): void;
  now(): Date;
}

const keyOf = (o: { kind?: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
const clone = <T>(v: T): T => structuredClone(v);

export function fakeCluster(
  spec: unknown,
  opts: { name?: string; namespace?: string; now?: Date } = {},
): FakeCluster {
  const name = opts.name ?? "shop";
  const namespace = opts.namespace ?? "default";
  let clock = new Date(opts.now ?? "2030-01-02T03:04:05Z");
  let resourceVersion = 1;
  let topo: TopologyResource = {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name, namespace, uid: "uid-1", generation: 1, resourceVersion: "1" },
    spec,
  };
  const children = new Map<string, Child>();
  const pods: PodLike[] = [];
  const failures = new Map<string, Error>();

  const fake: FakeCluster = {
    applied: [],
    removed: [],
    statusWrites: [],
    events: [],
    recoveries: [],
    revisions: new Map(),
    down: new Set(),
    failing: new Set(),
    logs: new Map(),
    topology: () => topo,
    setSpec(next) {
      topo = {
        ...topo,
        metadata: { ...topo.metadata, generation: (topo.metadata.generation ?? 0) + 1 },
        spec: next,
      };
    },
    annotate(key, value) {
      const { [key]: _old, ...rest } = topo.metadata.annotations ?? {};
      const annotations = value === undefined ? rest : { ...rest, [key]: value };
      topo = { ...topo, metadata: { ...topo.metadata, annotations } };
    },
    child: (key) => children.get(key),
    addChild: (obj) => void children.set(keyOf(obj), clone(obj)),
    failApply: (key, err) => void failures.set(key, err),
    settle() {
      for (const c of children.values()) {
        const node = c.metadata.labels?.[LABEL_NODE] ?? "";
        if (c.kind === "Job") {
          if (c.status && (c.status as { active?: number }).active === 0) continue; // finished: stays so
          if (!pods.some((p) => p.metadata?.labels?.[LABEL_JOB_NAME] === c.metadata.name))
            pods.push({
              metadata: {
                name: `${c.metadata.name}-x7k2q`,
                labels: { [LABEL_NODE]: node, [LABEL_JOB_NAME]: c.metadata.name },
                creationTimestamp: clock.toISOString(),
              },
            });
          const at = clock.toISOString();
          c.status = fake.down.has(node)
            ? { active: 1 }
            : fake.failing.has(node)
              ? {
                  active: 0,
                  failed: 1,
                  conditions: [
                    {
                      type: "Failed",
                      status: "True",
                      reason: "BackoffLimitExceeded",
                      message: "Job has reached the specified backoff limit",
                    },
                  ],
                }
              : {
                  active: 0,
                  succeeded: 1,
                  completionTime: at,
                  conditions: [{ type: "Complete", status: "True" }],
                };
          continue;
        }
        if (c.kind !== "Deployment") continue;
        const want = c.spec?.replicas ?? 1;
        const ready = fake.down.has(node) ? 0 : want;
        c.status = {
          observedGeneration: c.metadata.generation,
          replicas: want,
          updatedReplicas: want,
          readyReplicas: ready,
          availableReplicas: ready,
        };
      }
    },
    crashLoop(node) {
      const d = [...children.values()].find(
        (c) => c.kind === "Deployment" && c.metadata.labels?.[LABEL_NODE] === node,
      );
      pods.push({
        metadata: {
          labels: { [LABEL_NODE]: node },
          annotations: {
            [ANNOTATION_CONFIG_HASH]:
              d?.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] ?? "",
          },
          creationTimestamp: new Date(clock.getTime() - 60_000).toISOString(),
        },
        status: {
          containerStatuses: [{ name: node, state: { waiting: { reason: "CrashLoopBackOff" } } }],
        },
      });
    },
    advance: (seconds) => void (clock = new Date(clock.getTime() + seconds * 1000)),
    now: () => clock,
    deps: {
      now: () => clock,
      getTopology: (ns, n) => (ns === namespace && n === name ? clone(topo) : undefined),
      listChildren(_ns, _topology, uid) {
        const byKind: Record<string, ChildObject[]> = {};
        for (const c of children.values())
          if (c.metadata.ownerReferences?.some((r) => r.uid === uid)) (byKind[c.kind] ??= []).push(clone(c));
        return { byKind, pods: clone(pods) };
      },
      async apply(obj) {
        const key = keyOf(obj);
        const err = failures.get(key);
        if (err) {
          failures.delete(key);
          throw err;
        }
        fake.applied.push(clone(obj));
        const prev = children.get(key);
        const changed = !prev || !isDeepStrictEqual(prev.spec, obj.spec);
        const generation = (prev?.metadata.generation ?? 0) + (changed ? 1 : 0);
        children.set(key, {
          ...(clone(obj) as Child),
          metadata: { ...clone(obj.metadata), generation },
          ...(prev?.status ? { status: prev.status } : {}),
        });
      },
      async remove(obj) {
        fake.removed.push(keyOf(obj));
        children.delete(keyOf(obj));
      },
      async patchStatus(_t, status) {
        fake.statusWrites.push(clone(status));
        resourceVersion += 1;
        topo = {
          ...topo,
          metadata: { ...topo.metadata, resourceVersion: String(resourceVersion) },
          status: clone(status),
        };
      },
      async keepRevision(_t, revision, hash, tasks) {
        if (fake.revisions.has(revision)) return true;
        // What the children hold of the objects applied: no status, no server-set generation; of a task's
        // Jobs only the revision's.
        const ofRevision = (c: Child) =>
          c.kind !== "Job" ||
          tasks?.[c.metadata.labels?.[LABEL_NODE] ?? ""] ===
            c.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH];
        const objects = [...children.values()].filter(ofRevision).map(({ status: _status, ...o }) => {
          const { generation: _generation, ...metadata } = o.metadata;
          return clone({ ...o, metadata });
        }) as KubeObject[];
        if (snapshotOf(objects).hash !== hash) return false;
        fake.revisions.set(revision, objects);
        return true;
      },
      loadRevision: async (_t, revision) => clone(fake.revisions.get(revision)),
      async pruneRevisions(_t, keep) {
        for (const r of [...fake.revisions.keys()]) if (!keep.includes(r)) fake.revisions.delete(r);
      },
      async event(_t, type, reason, message) {
        fake.events.push({ type, reason, message });
      },
      recovered: (seconds, trigger) => void fake.recoveries.push({ seconds, trigger }),
      async readLog(_ns, pod, container) {
        const text = fake.logs.get(container);
        if (text === undefined) throw new Error(`the node of pod ${pod} serves no logs`);
        return text;
      },
      log: { debug() {}, info() {}, warn() {} },
    },
  };
  return fake;
}
