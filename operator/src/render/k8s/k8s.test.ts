import { stringify } from "yaml";
import { EXAMPLES, loadExample, resolve } from "../../../../test/unit/fixtures.ts";
import { expectGolden } from "../../../../test/unit/golden.ts";
import { renderKubernetes } from "./index.ts";

type Obj = {
  kind: string;
  metadata: { name: string; labels: Record<string, string>; ownerReferences?: unknown[] };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads arbitrary rendered fields
  spec: Record<string, any>;
};
const render = (t: Parameters<typeof renderKubernetes>[0]) => renderKubernetes(t) as unknown as Obj[];
const find = (objs: Obj[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name)!;

describe("renderKubernetes", () => {
  it.each(EXAMPLES)("renders the %s example as its golden file", (name) => {
    expectGolden(
      `${name}.k8s.yaml`,
      renderKubernetes(loadExample(name))
        .map((o) => stringify(o, { aliasDuplicateObjects: false }))
        .join("---\n"),
    );
  });

  it("puts every NetworkPolicy before every Deployment, so no pod runs without its policy", () => {
    const kinds = renderKubernetes(loadExample("connector-lab")).map((o) => o.kind);
    expect(kinds).toContain("NetworkPolicy");
    expect(kinds.lastIndexOf("NetworkPolicy")).toBeLessThan(kinds.indexOf("Deployment"));
  });

  it("is deterministic: the same input gives byte-identical output", () => {
    const a = JSON.stringify(renderKubernetes(loadExample("connector-lab")));
    const b = JSON.stringify(renderKubernetes(loadExample("connector-lab")));
    expect(a).toBe(b);
  });

  const topology = resolve(
    {
      nodes: [
        {
          name: "db",
          image: "postgres:16",
          ports: [{ name: "pg", port: 5432 }],
          env: [{ name: "PASSWORD", secretRef: { name: "db-secrets", key: "password" } }],
          health: { tcp: { port: "pg" }, interval: "500ms", startPeriod: "5s" },
          volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }],
          resources: { cpu: "250m", memory: "256Mi" },
        },
        {
          name: "api",
          image: "api:1",
          replicas: 1,
          ports: [{ name: "http", port: 8080, hostPort: 18080 }],
          dependsOn: ["db"],
          connectsTo: ["cache"],
        },
        { name: "cache", image: "redis:7", ports: [{ name: "redis", port: 6379 }] },
        { name: "batch", image: "job:1" },
      ],
    },
    { name: "shop", namespace: "prod", uid: "1234" },
  );

  it("gives every object the contract's labels and an owner reference to the Topology", () => {
    for (const o of render(topology)) {
      expect(o.metadata.labels).toMatchObject({
        "app.kubernetes.io/instance": "shop",
        "app.kubernetes.io/managed-by": "topo-operator",
        "topo.dev/topology": "shop",
      });
      expect(o.metadata.ownerReferences).toEqual([
        {
          apiVersion: "topo.dev/v1alpha1",
          kind: "Topology",
          name: "shop",
          uid: "1234",
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });

  it("makes a Service only for nodes with ports and a PVC per volume", () => {
    const objs = render(topology);
    expect(objs.filter((o) => o.kind === "Service").map((o) => o.metadata.name)).toEqual([
      "shop-db",
      "shop-api",
      "shop-cache",
    ]);
    expect(objs.filter((o) => o.kind === "PersistentVolumeClaim").map((o) => o.metadata.name)).toEqual([
      "shop-db-data",
    ]);
  });

  it("sets TOPO_ variables, peers as service:firstPort in declaration order, and secrets as secretKeyRef", () => {
    const env = find(render(topology), "Deployment", "shop-api").spec.template.spec.containers[0].env;
    expect(env.slice(0, 3)).toEqual([
      { name: "TOPO_TOPOLOGY", value: "shop" },
      { name: "TOPO_NODE", value: "api" },
      { name: "TOPO_PEERS", value: "shop-cache:6379,shop-db:5432" },
    ]);
    const dbEnv = find(render(topology), "Deployment", "shop-db").spec.template.spec.containers[0].env;
    expect(dbEnv[3]).toEqual({
      name: "PASSWORD",
      valueFrom: { secretKeyRef: { name: "db-secrets", key: "password" } },
    });
  });

  it("turns health into readiness and liveness probes with whole seconds", () => {
    const c = find(render(topology), "Deployment", "shop-db").spec.template.spec.containers[0];
    expect(c.readinessProbe).toEqual({
      tcpSocket: { port: "pg" },
      periodSeconds: 1,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    expect(c.livenessProbe).toMatchObject({ initialDelaySeconds: 5 });
    expect(c.resources).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "250m", memory: "256Mi" },
    });
  });

  it("uses Recreate for nodes with volumes and RollingUpdate otherwise", () => {
    expect(find(render(topology), "Deployment", "shop-db").spec.strategy).toEqual({ type: "Recreate" });
    expect(find(render(topology), "Deployment", "shop-api").spec.strategy).toEqual({ type: "RollingUpdate" });
  });

  it("changes the configuration hash when, and only when, the pod's configuration changes", () => {
    const hash = (t: typeof topology, node: string) =>
      find(render(t), "Deployment", `shop-${node}`).spec.template.metadata.annotations[
        "topo.dev/config-hash"
      ];
    const changed = {
      ...topology,
      nodes: topology.nodes.map((n) => (n.name === "db" ? { ...n, image: "postgres:17" } : n)),
    };
    expect(hash(changed, "db")).not.toBe(hash(topology, "db"));
    expect(hash(changed, "cache")).toBe(hash(topology, "cache"));
    const rescaled = {
      ...topology,
      nodes: topology.nodes.map((n) => (n.name === "cache" ? { ...n, replicas: 5 } : n)),
    };
    expect(hash(rescaled, "cache")).toBe(hash(topology, "cache"));
  });

  it("admits ingress only from declared peers, plus published ports", () => {
    const objs = render(topology);
    type Rule = {
      from?: {
        podSelector: { matchLabels: Record<string, string>; matchExpressions: { values: string[] }[] };
      }[];
    };
    const fromNodes = (name: string) =>
      (find(objs, "NetworkPolicy", name).spec.ingress as Rule[]).flatMap((r) =>
        (r.from ?? []).flatMap((f) =>
          f.podSelector.matchLabels["topo.dev/topology"] === "shop"
            ? f.podSelector.matchExpressions[0]!.values
            : [],
        ),
      );
    expect(fromNodes("shop-db")).toEqual(["api"]);
    expect(fromNodes("shop-cache")).toEqual(["api"]);
    expect(find(objs, "NetworkPolicy", "shop-api").spec.ingress).toEqual([
      { ports: [{ port: 8080, protocol: "TCP" }] },
    ]);
    expect(find(objs, "NetworkPolicy", "shop-batch").spec.ingress).toBeUndefined();
    expect(find(objs, "NetworkPolicy", "shop-batch").spec.policyTypes).toEqual(["Ingress"]);
  });

  it("renders no NetworkPolicy with isolation none", () => {
    expect(render({ ...topology, isolation: "none" }).some((o) => o.kind === "NetworkPolicy")).toBe(false);
  });
});
