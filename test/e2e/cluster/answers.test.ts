// Writes whose caller reads back only metadata (the operator's applies, status updates, Events and
// revisions) ask the API server for PartialObjectMetadata: the real server must answer so for a built-in
// kind, for a custom resource's status subresource and for a create, and still store the whole object.
import { FIELD_MANAGER } from "../../../operator/src/api/constants.ts";
import { serverSideApply } from "../../../operator/src/kube/apply.ts";
import { resourcePath } from "../../../operator/src/kube/rest.ts";
import { createNamespace, kube } from "../operator/harness.ts";
import { api, createTopology } from "./helpers.ts";

interface Answer {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; resourceVersion?: string; uid?: string };
  data?: unknown;
  spec?: unknown;
  status?: unknown;
}

describe("writes answered with the object's metadata alone", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  beforeAll(async () => {
    ns = await createNamespace("topo-answers");
  });
  afterAll(async () => {
    await ns?.remove();
  });

  it("a server-side apply answers PartialObjectMetadata, and the object is stored whole", async () => {
    const configMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "answered", namespace: ns.name },
      data: { greeting: "hello" },
    };
    const answer = await serverSideApply<Answer>(kube().kc, configMap, {
      fieldManager: FIELD_MANAGER,
      answer: "metadata",
    });
    expect(answer.kind).toBe("PartialObjectMetadata");
    expect(answer.apiVersion).toBe("meta.k8s.io/v1");
    expect(answer.metadata?.name).toBe("answered");
    expect(Number(answer.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(answer.data).toBeUndefined();

    const stored = await api<Answer>("GET", resourcePath("v1", "ConfigMap", ns.name, "answered"));
    expect(stored.data).toEqual({ greeting: "hello" });
    expect(stored.metadata?.resourceVersion).toBe(answer.metadata?.resourceVersion);

    // Without the option the whole object comes back, as before.
    const whole = await serverSideApply<Answer>(kube().kc, configMap, { fieldManager: FIELD_MANAGER });
    expect(whole.kind).toBe("ConfigMap");
    expect(whole.data).toEqual({ greeting: "hello" });
  });

  it("a Topology's status update and an Event's create answer metadata alone", async () => {
    const created = await createTopology(ns.name, "answered", { nodes: [{ name: "api", image: "app:1" }] });
    const status = { phase: "Pending", observedGeneration: 1 };
    const updated = await api<Answer>(
      "PUT",
      `/apis/topo.dev/v1alpha1/namespaces/${ns.name}/topologies/answered/status`,
      {
        query: { fieldManager: FIELD_MANAGER },
        body: { ...created, status },
        answer: "metadata",
      },
    );
    expect(updated.kind).toBe("PartialObjectMetadata");
    expect(updated.status).toBeUndefined();
    expect(updated.spec).toBeUndefined();
    expect(BigInt(updated.metadata!.resourceVersion!)).toBeGreaterThan(
      BigInt(created.metadata!.resourceVersion!),
    );
    const stored = await api<Answer>(
      "GET",
      `/apis/topo.dev/v1alpha1/namespaces/${ns.name}/topologies/answered`,
    );
    expect(stored.status).toMatchObject(status);

    const event = await api<Answer>("POST", resourcePath("v1", "Event", ns.name), {
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: "answered.", namespace: ns.name },
        involvedObject: { kind: "Topology", name: "answered", namespace: ns.name },
        reason: "Answered",
        message: "metadata alone",
        type: "Normal",
      },
      answer: "metadata",
    });
    expect(event.kind).toBe("PartialObjectMetadata");
    expect(event.metadata?.name).toMatch(/^answered\./);
  });
});
