// The controller manager's garbage collector deletes a Topology's children (and their ReplicaSets and pods)
// when the Topology goes, by owner uid; no operator runs here, so only the collector can remove them.
import { parseTopology } from "../../../operator/src/api/parse.ts";
import { FIELD_MANAGER } from "../../../operator/src/api/constants.ts";
import { serverSideApply } from "../../../operator/src/kube/apply.ts";
import { resourcePath } from "../../../operator/src/kube/rest.ts";
import { renderKubernetes, type KubeObject } from "../../../operator/src/render/k8s/index.ts";
import { createNamespace, kube, waitFor } from "../operator/harness.ts";
import { api, createTopology, names, topologyPath } from "./helpers.ts";

const spec = {
  nodes: [
    {
      name: "db",
      image: "db:1",
      ports: [{ name: "pg", port: 5432 }],
      volumes: [{ name: "data", mountPath: "/data", size: "64Mi" }],
    },
    { name: "api", image: "api:1", replicas: 2, ports: [{ name: "http", port: 8080 }], dependsOn: ["db"] },
  ],
};

const KINDS = [
  ["v1", "Service"],
  ["v1", "PersistentVolumeClaim"],
  ["apps/v1", "Deployment"],
  ["apps/v1", "ReplicaSet"],
  ["networking.k8s.io/v1", "NetworkPolicy"],
  ["v1", "Pod"],
] as const;

/** Every object labelled with the topology, by kind (pods carry the labels through the pod template). */
async function children(namespace: string, topology: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [apiVersion, kind] of KINDS)
    out[kind] = await names(apiVersion, kind, namespace, `topo.dev/topology=${topology}`);
  return out;
}

/** Creates a Topology and applies its rendered children, owned by it (or by `uid`); waits for its pods. */
async function withChildren(namespace: string, name: string, uid?: string): Promise<KubeObject[]> {
  const stored = await createTopology(namespace, name, spec);
  const parsed = parseTopology({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const objects = renderKubernetes({ ...parsed.topology, namespace, uid: uid ?? stored.metadata!.uid! });
  const { kc } = kube();
  for (const o of objects) await serverSideApply(kc, o, { fieldManager: FIELD_MANAGER });
  if (uid) return objects; // the collector may remove them before any pod exists
  await waitFor(`3 pods of ${name}`, async () => (await children(namespace, name)).Pod!.length === 3);
  return objects;
}

const finalizers = (list: string[] | null) => ({
  body: { metadata: { finalizers: list } },
  contentType: "application/merge-patch+json",
});

describe("garbage collection of a Topology's children", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  beforeAll(async () => {
    ns = await createNamespace("topo-gc");
  });
  afterAll(async () => {
    // A failed test may leave the held Service's finalizer, which would keep the namespace forever.
    if (ns)
      await api("PATCH", resourcePath("v1", "Service", ns.name, "fg-db"), finalizers(null)).catch(
        () => undefined,
      );
    await ns?.remove();
  });

  it("removes every child, ReplicaSet and pod after a background delete of the Topology", async () => {
    await withChildren(ns.name, "bg");
    const before = await children(ns.name, "bg");
    expect(before).toMatchObject({
      Service: ["bg-api", "bg-db"],
      PersistentVolumeClaim: [expect.stringContaining("bg-db")],
      Deployment: ["bg-api", "bg-db"],
    });
    expect(before.NetworkPolicy!.length).toBeGreaterThan(0);
    expect(before.ReplicaSet).toHaveLength(2);
    expect(before.Pod).toHaveLength(3);

    await api("DELETE", topologyPath(ns.name, "bg"), { query: { propagationPolicy: "Background" } });
    await waitFor(
      "the garbage collector to remove bg's children",
      async () => Object.values(await children(ns.name, "bg")).every((l) => l.length === 0),
      90_000,
    );
  });

  it("keeps a foreground-deleted Topology while a child is held by a finalizer, and removes it after", async () => {
    await withChildren(ns.name, "fg");
    const held = resourcePath("v1", "Service", ns.name, "fg-db");
    await api("PATCH", held, finalizers(["topo.dev/e2e-hold"]));
    await api("DELETE", topologyPath(ns.name, "fg"), { query: { propagationPolicy: "Foreground" } });
    await waitFor(
      "the collector to start deleting the held Service",
      async () =>
        (await api<{ metadata: { deletionTimestamp?: string } }>("GET", held)).metadata.deletionTimestamp,
    );
    const deleting = await api<{ metadata: { deletionTimestamp?: string; finalizers?: string[] } }>(
      "GET",
      topologyPath(ns.name, "fg"),
    );
    expect(deleting.metadata.deletionTimestamp).toBeTruthy();
    expect(deleting.metadata.finalizers).toEqual(["foregroundDeletion"]);

    await api("PATCH", held, finalizers(null));
    await waitFor(
      "the foreground-deleted Topology to disappear",
      async () => !(await names("topo.dev/v1alpha1", "Topology", ns.name)).includes("fg"),
      90_000,
    );
    expect(await children(ns.name, "fg")).toEqual(Object.fromEntries(KINDS.map(([, k]) => [k, []])));
  });

  it("collects children whose owner uid no longer exists, even when a Topology of that name does", async () => {
    // The uid, not the name, identifies the owner: a Topology deleted and recreated does not adopt them.
    await withChildren(ns.name, "stale", "00000000-0000-4000-8000-000000000000");
    await waitFor(
      "the garbage collector to remove children of a missing owner",
      async () => (await children(ns.name, "stale")).Deployment!.length === 0,
      90_000,
    );
    expect(await names("topo.dev/v1alpha1", "Topology", ns.name)).toContain("stale");
  });

  it("leaves an object without an owner reference alone when the Topology goes", async () => {
    await createTopology(ns.name, "keep", spec);
    await api("POST", resourcePath("v1", "Service", ns.name), {
      body: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "keep-unowned", labels: { "topo.dev/topology": "keep" } },
        spec: { ports: [{ port: 80 }] },
      },
    });
    await api("DELETE", topologyPath(ns.name, "keep"), { query: { propagationPolicy: "Foreground" } });
    await waitFor(
      "the Topology keep to go",
      async () => !(await names("topo.dev/v1alpha1", "Topology", ns.name)).includes("keep"),
    );
    expect(await names("v1", "Service", ns.name, "topo.dev/topology=keep")).toEqual(["keep-unowned"]);
  });
});
