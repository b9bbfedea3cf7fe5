// The generated CRD as a real API server serves it: discovery, defaults, CEL rules, printer columns, short name.
import { parseTopology } from "../../../operator/src/api/parse.ts";
import { createNamespace } from "../operator/harness.ts";
import { api, apiError, createTopology, run, topologyPath } from "./helpers.ts";

const node = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: "app:1", ...extra });

describe("the Topology CRD on the API server", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  beforeAll(async () => {
    ns = await createNamespace("topo-crd");
  });
  afterAll(async () => {
    await ns?.remove();
  });

  it("is established and discovered as topo.dev/v1alpha1 topologies, namespaced, short name topo, with a status subresource", async () => {
    const crd = await api<{
      status: { conditions: { type: string; status: string }[] };
      spec: { versions: { name: string; served: boolean; storage: boolean }[] };
    }>("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/topologies.topo.dev");
    expect(crd.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "Established", status: "True" }),
        expect.objectContaining({ type: "NamesAccepted", status: "True" }),
      ]),
    );
    expect(crd.spec.versions).toEqual([
      expect.objectContaining({ name: "v1alpha1", served: true, storage: true }),
    ]);

    const discovery = await api<{
      resources: { name: string; kind: string; namespaced: boolean; shortNames?: string[] }[];
    }>("GET", "/apis/topo.dev/v1alpha1");
    expect(discovery.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: "topologies",
          kind: "Topology",
          namespaced: true,
          shortNames: ["topo"],
        }),
        expect.objectContaining({ name: "topologies/status", kind: "Topology" }),
      ]),
    );
  });

  it("stores a valid Topology and fills in the schema's defaults", async () => {
    const created = await createTopology(ns.name, "valid", {
      nodes: [node("db", { volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }] }), node("api")],
    });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.spec).toMatchObject({
      isolation: "links",
      rollout: { progressDeadlineSeconds: 90, autoRollback: true, historyLimit: 10 },
    });
  });

  it("stores a Topology made only of generators (spec.nodes is optional) and a replicated node with a hostPort", async () => {
    const generated = await createTopology(ns.name, "generated", {
      generators: [{ prefix: "conn", count: 3, shape: "ring", template: { image: "app:1" } }],
    });
    expect(generated.spec).not.toHaveProperty("nodes");
    const published = await createTopology(ns.name, "published", {
      nodes: [node("web", { replicas: 3, ports: [{ name: "http", port: 8000, hostPort: 18000 }] })],
    });
    expect(published.metadata?.uid).toBeTruthy();
  });

  // Each rule the CRD carries as CEL (operator/src/api/schema.ts) or as a list-map key, and the message a
  // user of kubectl sees: the field path and the rule's own words. Schema and CEL failures are 422 Invalid.
  const invalid: [string, Record<string, unknown>, RegExp][] = [
    [
      "a topology with no nodes and no generators",
      { nodes: [] },
      /spec.*a topology needs at least one node, in spec.nodes or made by spec.generators/,
    ],
    [
      "a node that depends on itself",
      { nodes: [node("a", { dependsOn: ["a"] })] },
      /spec\.nodes\[0\].*a node cannot depend on itself/,
    ],
    [
      "a node that connects to itself",
      { nodes: [node("a", { connectsTo: ["a"] })] },
      /spec\.nodes\[0\].*a node cannot connect to itself/,
    ],
    [
      "two nodes with the same name",
      { nodes: [node("a"), node("a")] },
      /spec\.nodes\[1\].*Duplicate value.*"name":"a"/,
    ],
    [
      "a node with a volume and 2 replicas",
      { nodes: [node("db", { replicas: 2, volumes: [{ name: "d", mountPath: "/d", size: "1Gi" }] })] },
      /spec\.nodes\[0\].*a node with volumes runs at most 1 replica/,
    ],
    [
      "a generator template with a volume and 2 replicas",
      {
        nodes: [node("a")],
        generators: [
          {
            prefix: "g",
            count: 2,
            shape: "ring",
            template: { image: "x", replicas: 2, volumes: [{ name: "d", mountPath: "/d", size: "1Gi" }] },
          },
        ],
      },
      /spec\.generators\[0\]\.template.*a node with volumes runs at most 1 replica/,
    ],
    [
      "an env var with both a value and a secretRef",
      { nodes: [node("a", { env: [{ name: "X", value: "1", secretRef: { name: "s", key: "k" } }] })] },
      /spec\.nodes\[0\]\.env\[0\].*set exactly one of value or secretRef/,
    ],
    [
      "a health check with both http and tcp",
      {
        nodes: [
          node("a", {
            ports: [{ name: "http", port: 80 }],
            health: { http: { path: "/", port: "http" }, tcp: { port: 80 } },
          }),
        ],
      },
      /spec\.nodes\[0\]\.health.*set exactly one of http, tcp or exec/,
    ],
  ];
  it.each(invalid)("rejects %s with a message naming the rule", async (_what, spec, message) => {
    const err = await apiError(createTopology(ns.name, "invalid", spec));
    expect(err.code).toBe(422);
    expect(err.message).toMatch(message);
  });

  it("refuses an unknown field under strict field validation (400), naming the field", async () => {
    const err = await apiError(
      createTopology(ns.name, "unknown", { nodes: [node("a", { imagePullPolicy: "Always" })] }),
    );
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/unknown field "spec\.nodes\[0\]\.imagePullPolicy"/);
  });

  it("accepts a dependsOn cycle, which no per-node CEL rule can see, and leaves it to the model (the operator reports InvalidSpec)", async () => {
    const spec = { nodes: [node("a", { dependsOn: ["b"] }), node("b", { dependsOn: ["a"] })] };
    const stored = await createTopology(ns.name, "cycle", spec, { dryRun: true });
    expect(stored.metadata?.name).toBe("cycle");
    const parsed = parseTopology({
      apiVersion: "topo.dev/v1alpha1",
      kind: "Topology",
      metadata: { name: "cycle" },
      spec,
    });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.issues.map((i) => i.message).join("\n")).toMatch(/cycle/);
  });

  it("prints Phase, Ready, Revision and Age columns, under the short name topo", async () => {
    await createTopology(ns.name, "columns", { nodes: [node("web")] });
    await api("PATCH", `${topologyPath(ns.name, "columns")}/status`, {
      body: { status: { phase: "Ready", readyNodes: "1/1", revision: 7 } },
      contentType: "application/merge-patch+json",
    });
    const out = await run("hack/kubectl.sh", ["get", "topo", "columns", "-n", ns.name]);
    expect(out).toMatchObject({ code: 0, stderr: "" });
    const [header, row] = out.stdout.trim().split("\n");
    expect(header!.split(/\s+/)).toEqual(["NAME", "PHASE", "READY", "REVISION", "AGE"]);
    expect(row!.split(/\s+/).slice(0, 4)).toEqual(["columns", "Ready", "1/1", "7"]);
    expect(row!.split(/\s+/)[4]).toMatch(/^\d+s$/);

    const all = await run("hack/kubectl.sh", ["get", "topologies.topo.dev", "-n", ns.name, "-o", "name"]);
    expect(all.stdout.split("\n")).toContain("topology.topo.dev/columns");
  });
});
