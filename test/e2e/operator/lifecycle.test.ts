// The operator against a real API server: create, update, drift, idle, delete.
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  applyTopology,
  counter,
  createNamespace,
  kube,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "./harness.ts";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";

type Revision = { revision: number; data: { objects: KubernetesObject[] } };
type Deployment = KubernetesObject & {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
};

const spec = (image: string) => ({
  nodes: [
    {
      name: "db",
      image,
      ports: [{ name: "pg", port: 5432 }],
      volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }],
    },
    { name: "api", image, replicas: 2, ports: [{ name: "http", port: 8080 }], dependsOn: ["db"] },
  ],
  generators: [
    { prefix: "c", count: 3, shape: "ring", template: { image, ports: [{ name: "http", port: 80 }] } },
  ],
});

/** Waits for `name` to be Ready at `revision`. */
const readyAt = (namespace: string, name: string, revision: number) =>
  waitFor(
    `revision ${revision} Ready`,
    async () => {
      const t = await readTopology(namespace, name);
      return t.status?.phase === "Ready" && t.status.revision === revision ? t : undefined;
    },
    90_000,
  );

/** The ControllerRevisions kept for `name`. */
const keptRevisions = async (namespace: string, name: string) =>
  (
    await request<{ items: Revision[] }>(
      kube().kc,
      "GET",
      resourcePath("apps/v1", "ControllerRevision", namespace),
      {
        query: { labelSelector: `topo.dev/topology=${name}` },
      },
    )
  ).items;

describe("the operator", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  beforeAll(async () => {
    ns = await createNamespace("topo-life");
    op = await startOperator({ namespace: ns.name, env: { TOPO_RESYNC_SECONDS: "3" } });
  });
  afterAll(async () => {
    await op?.stop();
    await ns?.remove();
  });
  /** The Service of node db, which two cases delete. */
  const shopDb = () => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "shop-db", namespace: ns.name },
  });
  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts)
      process.stderr.write(`--- operator logs ---\n${op.logs().slice(-6000)}\n`);
  });

  it("creates every child with owner references and labels, and reports Ready with the observed generation", async () => {
    await applyTopology(topology(ns.name, "shop", spec("app:1")));
    const t = await waitForPhase(ns.name, "shop", "Ready");
    expect(t.status).toMatchObject({ readyNodes: "5/5", revision: 1, lastGoodRevision: 1 });
    const deployments = await listOwned(ns.name, "Deployment", "apps/v1", "shop");
    expect(deployments.map((d) => d.metadata!.name).sort()).toEqual([
      "shop-api",
      "shop-c-0",
      "shop-c-1",
      "shop-c-2",
      "shop-db",
    ]);
    for (const kind of [
      ["Service", "v1"],
      ["PersistentVolumeClaim", "v1"],
      ["NetworkPolicy", "networking.k8s.io/v1"],
    ] as const) {
      const objs = await listOwned(ns.name, kind[0], kind[1], "shop");
      expect(objs.length).toBeGreaterThan(0);
      for (const o of objs) {
        expect(o.metadata!.ownerReferences).toEqual([
          expect.objectContaining({ kind: "Topology", name: "shop", uid: t.metadata!.uid, controller: true }),
        ]);
        expect(o.metadata!.labels).toMatchObject({
          "app.kubernetes.io/managed-by": "topo-operator",
          "topo.dev/topology": "shop",
        });
      }
    }
    expect(t.status!.conditions!.find((c) => c.type === "Ready")).toMatchObject({ status: "True" });
    // What the API server stored, not what we meant to send: the db admits only its declared peer.
    const policies = (await listOwned(
      ns.name,
      "NetworkPolicy",
      "networking.k8s.io/v1",
      "shop",
    )) as (KubernetesObject & { spec: { ingress: unknown[] } })[];
    const db = policies.find((p) => p.metadata!.name === "shop-db")!;
    expect(db.spec.ingress).toEqual([
      {
        from: [
          {
            podSelector: {
              matchLabels: { "topo.dev/topology": "shop" },
              matchExpressions: [{ key: "topo.dev/node", operator: "In", values: ["api"] }],
            },
          },
        ],
      },
    ]);
  });

  it("times every write it makes, by verb", async () => {
    const m = await op.metrics();
    for (const verb of ["apply", "update"]) {
      const writes = counter(m, "topo_api_writes_total", `verb="${verb}"`);
      expect(writes).toBeGreaterThan(0);
      expect(counter(m, "topo_api_write_duration_seconds_count", `verb="${verb}"`)).toBe(writes);
    }
    // Round trips to a real API server take time.
    expect(counter(m, "topo_api_write_duration_seconds_sum", 'verb="apply"')).toBeGreaterThan(0);
  });

  it("makes no write calls while nothing changes, across resyncs", async () => {
    const before = counter(await op.metrics(), "topo_api_writes_total");
    await new Promise((r) => setTimeout(r, 8000));
    const after = counter(await op.metrics(), "topo_api_writes_total");
    expect(counter(await op.metrics(), "topo_reconcile_total")).toBeGreaterThan(0);
    expect(after - before).toBe(0);
  });

  it("rolls out a new image as a new revision that becomes Ready", async () => {
    await applyTopology(topology(ns.name, "shop", spec("app:2")));
    const t = await readyAt(ns.name, "shop", 2);
    expect(t.status!.history!.map((h) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [2, "Succeeded"],
    ]);
    const deployments = (await listOwned(ns.name, "Deployment", "apps/v1", "shop")) as Deployment[];
    expect(deployments.every((d) => d.spec.template.spec.containers[0]!.image === "app:2")).toBe(true);
    // Revision 1 was kept when revision 2 superseded it, as its children ran it: every object, old image.
    const kept = await keptRevisions(ns.name, "shop");
    expect(kept.map((r) => r.revision)).toEqual([1]);
    const objects = kept[0]!.data.objects;
    // The same objects as run now (only images changed between the revisions).
    const now = await Promise.all(
      (
        [
          ["Deployment", "apps/v1"],
          ["Service", "v1"],
          ["PersistentVolumeClaim", "v1"],
          ["NetworkPolicy", "networking.k8s.io/v1"],
        ] as const
      ).map(async ([kind, apiVersion]) =>
        (await listOwned(ns.name, kind, apiVersion, "shop")).map((o) => `${kind}/${o.metadata!.name}`),
      ),
    );
    expect(objects.map((o) => `${o.kind}/${o.metadata!.name}`).sort()).toEqual(now.flat().sort());
    const images = (objects.filter((o) => o.kind === "Deployment") as unknown as Deployment[]).map(
      (d) => d.spec.template.spec.containers[0]!.image,
    );
    expect(new Set(images)).toEqual(new Set(["app:1"]));
    expect(objects.every((o) => !("status" in o) && !("managedFields" in o.metadata!))).toBe(true);
  });

  it("keeps historyLimit revisions, and deletes a kept revision once the history drops it", async () => {
    await applyTopology(topology(ns.name, "shop", { ...spec("app:3"), rollout: { historyLimit: 2 } }));
    const t = await readyAt(ns.name, "shop", 3);
    expect(t.status!.history!.map((h) => [h.revision, h.outcome])).toEqual([
      [2, "Succeeded"],
      [3, "Succeeded"],
    ]);
    // Revision 2 was kept when 3 superseded it; revision 1 left the history, and its ControllerRevision went.
    const kept = await waitFor("revision 1 pruned", async () => {
      const revisions = (await keptRevisions(ns.name, "shop")).map((r) => r.revision).sort();
      return revisions.includes(1) ? undefined : revisions;
    });
    expect(kept).toEqual([2]);
  });

  it("reverts a child edited by hand and recreates a deleted one", async () => {
    const { objects } = kube();
    const ref = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "shop-api", namespace: ns.name },
    };
    await objects.patch(
      { ...ref, spec: { replicas: 5 } },
      undefined,
      undefined,
      "kubectl-edit",
      undefined,
      "application/merge-patch+json",
    );
    await objects.delete(shopDb());
    await waitFor(
      "replicas reverted to 2",
      async () => ((await objects.read(ref)) as Deployment).spec.replicas === 2,
      30_000,
    );
    await waitFor("service recreated", async () => objects.read(shopDb()), 30_000);
  });

  it("writes nothing to a Topology being deleted, and leaves no children once it is gone", async () => {
    const { objects } = kube();
    const ref = {
      apiVersion: "topo.dev/v1alpha1",
      kind: "Topology",
      metadata: { name: "shop", namespace: ns.name },
    };
    const merge = (body: object) =>
      objects.patch(body, undefined, undefined, "e2e", undefined, "application/merge-patch+json");
    // A finalizer holds the Topology while it is deleted, as foreground deletion or another
    // controller's cleanup would: its children stay until it is gone.
    await merge({ ...ref, metadata: { ...ref.metadata, finalizers: ["e2e.topo.dev/hold"] } });
    await objects.delete(ref);
    await waitFor(
      "deletionTimestamp set",
      async () => (await readTopology(ns.name, "shop")).metadata?.deletionTimestamp,
    );
    const before = await op.metrics();
    await objects.delete(shopDb());
    // The deletion wakes a reconcile, which brings nothing back (it recreated the Service above).
    await waitFor(
      "a reconcile after the deletion",
      async () =>
        counter(await op.metrics(), "topo_reconcile_total") > counter(before, "topo_reconcile_total") + 1,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(counter(await op.metrics(), "topo_api_writes_total")).toBe(
      counter(before, "topo_api_writes_total"),
    );
    expect(await listOwned(ns.name, "Service", "v1", "shop")).not.toContainEqual(
      expect.objectContaining({ metadata: expect.objectContaining({ name: "shop-db" }) }),
    );
    await merge({ ...ref, metadata: { ...ref.metadata, finalizers: null } });
    await waitFor(
      "children garbage-collected",
      async () => {
        const left = [
          ...(await listOwned(ns.name, "Deployment", "apps/v1", "shop")),
          ...(await listOwned(ns.name, "Service", "v1", "shop")),
          ...(await listOwned(ns.name, "NetworkPolicy", "networking.k8s.io/v1", "shop")),
        ];
        return left.length === 0;
      },
      60_000,
    );
  });
});
