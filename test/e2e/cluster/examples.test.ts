// Every example, rendered by the Kubernetes renderer and server-side applied as the operator would: dry-run
// first (nothing is created), then for real; Deployments get Ready pods on the kwok nodes and claims bind.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseTopology } from "../../../operator/src/api/parse.ts";
import { readDocuments } from "../../../operator/src/api/source.ts";
import type { Topology } from "../../../operator/src/api/topology.ts";
import { FIELD_MANAGER } from "../../../operator/src/api/constants.ts";
import { difference } from "../../../operator/src/controller/compare.ts";
import { extractOwned, type ManagedFieldsEntry } from "../../../operator/src/kube/managed-fields.ts";
import { serverSideApply } from "../../../operator/src/kube/apply.ts";
import { resourcePath } from "../../../operator/src/kube/rest.ts";
import { renderKubernetes, type KubeObject } from "../../../operator/src/render/k8s/index.ts";
import { createNamespace, kube, waitFor } from "../operator/harness.ts";
import { api, collectionPath, createTopology, names, ROOT } from "./helpers.ts";

const files = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".yaml"));

type Stored = KubernetesObject & {
  spec?: { replicas?: number };
  status?: {
    phase?: string;
    readyReplicas?: number;
    conditions?: { type: string; status: string }[];
  };
};
type Pod = Stored & { spec: { nodeName?: string } };

/** The Topology documents of an example, as written and as the model resolves them. */
function examples(
  file: string,
): { raw: { metadata: { name: string }; spec: Record<string, unknown> }; topology: Topology }[] {
  const { documents, syntaxErrors } = readDocuments(readFileSync(join(ROOT, "examples", file), "utf8"));
  expect(syntaxErrors).toEqual([]);
  return documents
    .filter((d) => (d.value as { kind?: string }).kind === "Topology")
    .map((d) => {
      const parsed = parseTopology(d.value);
      if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.issues)}`);
      return { raw: d.value as never, topology: parsed.topology };
    });
}

// Ours only: a namespace has a ConfigMap of its own (kube-root-ca.crt).
const MANAGED = "app.kubernetes.io/managed-by=topo-operator";
const byKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const apiVersionOf = (kind: string) =>
  ({ Deployment: "apps/v1", NetworkPolicy: "networking.k8s.io/v1", Job: "batch/v1" })[kind] ?? "v1";

describe.each(files)("examples/%s on the API server", (file) => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  const objects: KubeObject[] = [];
  beforeAll(async () => {
    ns = await createNamespace(`topo-ex-${file.replace(/\.yaml$/, "").slice(0, 20)}`);
  });
  afterAll(async () => {
    await ns?.remove();
  });

  it("is accepted by the CRD, and renders children owned by the stored Topology", async () => {
    const docs = examples(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const { raw, topology } of docs) {
      const stored = await createTopology(ns.name, raw.metadata.name, raw.spec);
      const owned = renderKubernetes({ ...topology, namespace: ns.name, uid: stored.metadata!.uid! });
      for (const o of owned)
        expect(o.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: "Topology", name: raw.metadata.name, uid: stored.metadata!.uid }),
        ]);
      objects.push(...owned);
    }
    expect(byKind(objects, "Deployment").length).toBeGreaterThan(0);
  });

  it("passes a server-side dry-run apply of every object, which creates nothing", async () => {
    const { kc } = kube();
    for (const o of objects) {
      const answer = await serverSideApply<KubernetesObject>(kc, o, {
        fieldManager: FIELD_MANAGER,
        dryRun: true,
      });
      expect({ kind: answer.kind, name: answer.metadata?.name }).toEqual({
        kind: o.kind,
        name: o.metadata.name,
      });
    }
    for (const kind of new Set(objects.map((o) => o.kind)))
      expect(await names(apiVersionOf(kind), kind, ns.name, MANAGED)).toEqual([]);
  });

  it("applies every object for real under the topo-operator field manager", async () => {
    // web-stack reads a Secret; create it the way its header comment says.
    await api("POST", collectionPath("v1", "Secret", ns.name), {
      body: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db-secrets" },
        stringData: { password: "x" },
      },
    });
    const { kc } = kube();
    for (const o of objects) {
      const stored = await serverSideApply<KubernetesObject>(kc, o, { fieldManager: FIELD_MANAGER });
      expect(stored.metadata?.managedFields).toEqual(
        expect.arrayContaining([expect.objectContaining({ manager: "topo-operator", operation: "Apply" })]),
      );
    }
    for (const kind of new Set(objects.map((o) => o.kind)))
      expect(await names(apiVersionOf(kind), kind, ns.name, MANAGED)).toEqual(
        byKind(objects, kind)
          .map((o) => o.metadata.name)
          .sort(),
      );
  });

  it("gets every Deployment's pods Ready on the kwok fake nodes", async () => {
    const deployments = byKind(objects, "Deployment");
    const want = deployments.reduce((n, d) => n + Number(d.spec.replicas ?? 1), 0);
    await waitFor(
      `${deployments.length} Deployments to be available`,
      async () => {
        for (const d of deployments) {
          const live = await api<Stored>(
            "GET",
            resourcePath("apps/v1", "Deployment", ns.name, d.metadata.name),
          );
          if ((live.status?.readyReplicas ?? 0) !== Number(d.spec.replicas ?? 1)) return false;
        }
        return true;
      },
      120_000,
    );
    const pods = await api<{ items: Pod[] }>("GET", resourcePath("v1", "Pod", ns.name));
    // A task's pod runs to completion (kwok completes it): only the Deployments' pods stay Ready.
    const running = pods.items.filter(
      (p) => !p.metadata?.deletionTimestamp && !p.metadata?.labels?.["batch.kubernetes.io/job-name"],
    );
    expect(running).toHaveLength(want);
    for (const p of running) {
      expect(p.spec.nodeName).toMatch(/^kwok-node-\d+$/);
      expect(p.status?.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: "Ready", status: "True" })]),
      );
    }
  });

  it("runs every task's Job to completion on the kwok fake nodes", async () => {
    for (const job of byKind(objects, "Job"))
      await waitFor(
        `Job ${ns.name}/${job.metadata.name} to complete`,
        async () =>
          (
            await api<Stored>("GET", resourcePath("batch/v1", "Job", ns.name, job.metadata.name))
          ).status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"),
        60_000,
      );
  });

  it("binds every PersistentVolumeClaim through the default StorageClass", async () => {
    const claims = byKind(objects, "PersistentVolumeClaim").map((c) => c.metadata.name);
    for (const name of claims)
      await waitFor(
        `PersistentVolumeClaim ${ns.name}/${name} to bind`,
        async () =>
          (await api<Stored>("GET", resourcePath("v1", "PersistentVolumeClaim", ns.name, name))).status
            ?.phase === "Bound",
        60_000,
      );
    const mounted = byKind(objects, "Deployment").flatMap(
      (d) =>
        (
          d.spec.template as { spec: { volumes?: { persistentVolumeClaim?: { claimName: string } }[] } }
        ).spec.volumes?.flatMap((v) => v.persistentVolumeClaim?.claimName ?? []) ?? [],
    );
    expect(mounted.sort()).toEqual([...claims].sort());
  });

  // An apply that changes nothing must not write: a field the server drops on write (an empty list it
  // omits, a default it fills) makes every reconcile bump resourceVersion and generation, and wakes watchers.
  it("re-applies as a no-op: the API server writes nothing (resourceVersion and generation unchanged)", async () => {
    const { kc } = kube();
    const rewritten: string[] = [];
    for (const o of objects) {
      const path = resourcePath(o.apiVersion, o.kind, ns.name, o.metadata.name);
      const before = await api<KubernetesObject>("GET", path);
      const after = await serverSideApply<KubernetesObject & { spec?: unknown }>(kc, o, {
        fieldManager: FIELD_MANAGER,
      });
      if (after.metadata?.resourceVersion !== before.metadata?.resourceVersion)
        rewritten.push(
          `${o.kind}/${o.metadata.name}: generation ${before.metadata?.generation} -> ${after.metadata?.generation}; ` +
            `applied spec ${JSON.stringify(o.spec)}, stored spec ${JSON.stringify(after.spec)}`,
        );
    }
    expect(rewritten).toEqual([]);
  });

  // The operator keeps a superseded revision from the children still running it: what the field manager
  // owns in each live object must be exactly what was applied, and applying it again must change nothing.
  it("reads back every applied object from its managedFields, exactly as it was rendered", async () => {
    const { kc } = kube();
    for (const o of objects) {
      const path = resourcePath(o.apiVersion, o.kind, ns.name, o.metadata.name);
      const live = await api<KubernetesObject & { metadata: { managedFields?: ManagedFieldsEntry[] } }>(
        "GET",
        path,
      );
      const extracted = extractOwned(live, FIELD_MANAGER);
      const applied = { ...o, metadata: { ...o.metadata, namespace: ns.name } };
      // Both ways, as the operator compares (an empty string the server omits reads as absent).
      expect([o.kind, difference(extracted, applied)]).toEqual([o.kind, undefined]);
      expect([o.kind, difference(applied, extracted)]).toEqual([o.kind, undefined]);
      const again = await serverSideApply<KubernetesObject>(kc, extracted as never, {
        fieldManager: FIELD_MANAGER,
      });
      expect(again.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion);
    }
  });
});
