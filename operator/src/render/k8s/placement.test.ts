import { stringify } from "yaml";
import { resolve } from "../../../../test/unit/fixtures.ts";
import { expectGolden } from "../../../../test/unit/golden.ts";
import { renderKubernetes } from "./index.ts";

type Deployment = {
  kind: string;
  metadata: { name: string };
  spec: {
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads arbitrary rendered fields
      spec: any;
    };
  };
};
const deployments = (spec: Record<string, unknown>) =>
  (renderKubernetes(resolve(spec, { name: "t" })) as unknown as Deployment[]).filter(
    (o) => o.kind === "Deployment",
  );
const deployment = (spec: Record<string, unknown>, name: string) =>
  deployments(spec).find((d) => d.metadata.name === `t-${name}`)!;
const constraintsOf = (spec: Record<string, unknown>, name: string) =>
  deployment(spec, name).spec.template.spec.topologySpreadConstraints;

const api = (extra: Record<string, unknown> = {}) => ({ name: "api", image: "api:1", replicas: 3, ...extra });
const own = {
  labelSelector: { matchLabels: { "topo.dev/topology": "t", "topo.dev/node": "api" } },
  matchLabelKeys: ["pod-template-hash"],
};

/** Every case of the model in one topology: its Deployments' pod templates are the golden file. */
const everyCase = {
  placement: { maxSkew: 2 },
  nodes: [
    { name: "api", image: "api:1", replicas: 3 },
    { name: "zoned", image: "api:1", replicas: 4, placement: { spread: "zones" } },
    { name: "strict", image: "api:1", replicas: 3, placement: { whenUnsatisfiable: "DoNotSchedule" } },
    { name: "free", image: "api:1", replicas: 3, placement: { spread: "none" } },
    { name: "single", image: "db:1" },
  ],
  generators: [
    { prefix: "mesh", count: 3, shape: "mesh", template: { image: "conn:1" } },
    {
      prefix: "pair",
      count: 2,
      shape: "linear",
      template: { image: "conn:1", replicas: 2, placement: { spread: "zones", maxSkew: 1 } },
    },
    { prefix: "solo", count: 1, shape: "linear", template: { image: "conn:1" } },
  ],
};

describe("renderSpread", () => {
  it("renders every placement case as its golden file", () => {
    const templates = deployments(everyCase).map((d) => ({
      deployment: d.metadata.name,
      labels: d.spec.template.metadata.labels,
      topologySpreadConstraints: d.spec.template.spec.topologySpreadConstraints ?? null,
    }));
    expectGolden("placement.k8s.yaml", stringify(templates, { aliasDuplicateObjects: false }));
  });

  it("spreads a node of several replicas over nodes by default, counting only the pods of its template", () => {
    expect(constraintsOf({ nodes: [api()] }, "api")).toEqual([
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", ...own },
    ]);
  });

  it("writes the same for a single replica, so scaling never changes the pod template", () => {
    const hash = (replicas: number) =>
      deployment({ nodes: [api({ replicas })] }, "api").spec.template.metadata.annotations[
        "topo.dev/config-hash"
      ];
    expect(constraintsOf({ nodes: [api({ replicas: 1 })] }, "api")).toEqual(
      constraintsOf({ nodes: [api()] }, "api"),
    );
    expect(hash(1)).toBe(hash(5));
  });

  it("writes nothing for spread none: no constraint, no group label", () => {
    const none = deployment({ placement: { spread: "none" }, nodes: [api()] }, "api");
    expect(none.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    const group = {
      prefix: "conn",
      count: 3,
      shape: "ring",
      template: { image: "c:1", placement: { spread: "none" } },
    };
    const member = deployment({ generators: [group] }, "conn-0");
    expect(member.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(Object.keys(member.spec.template.metadata.labels)).not.toContain("topo.dev/group");
  });

  it("spreads over zones with the topology's maxSkew, a node's own field winning over spec.placement", () => {
    const spec = { placement: { spread: "zones", maxSkew: 3 }, nodes: [api({ placement: { maxSkew: 2 } })] };
    expect(constraintsOf(spec, "api")).toEqual([
      { maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", ...own },
    ]);
  });

  it("insists with DoNotSchedule over nodes by asking for a node per replica (minDomains), not over zones", () => {
    const strict = { whenUnsatisfiable: "DoNotSchedule" };
    expect(constraintsOf({ nodes: [api({ placement: strict })] }, "api")).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        ...own,
        minDomains: 3,
      },
    ]);
    expect(constraintsOf({ nodes: [api({ placement: { ...strict, spread: "zones" } })] }, "api")).toEqual([
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", ...own },
    ]);
  });

  it("spreads a generator's nodes as a group by a label on their pods, single replicas included", () => {
    const spec = { generators: [{ prefix: "conn", count: 8, shape: "mesh", template: { image: "c:1" } }] };
    const d = deployment(spec, "conn-5");
    expect(d.spec.template.metadata.labels["topo.dev/group"]).toBe("conn");
    expect(d.spec.template.spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { "topo.dev/topology": "t", "topo.dev/group": "conn" } },
        matchLabelKeys: ["topo.dev/group-revision"],
      },
    ]);
  });

  it("makes a placement change a new pod template (config hash), so it rolls out", () => {
    const hash = (placement: Record<string, unknown>) =>
      deployment({ nodes: [api({ placement })] }, "api").spec.template.metadata.annotations[
        "topo.dev/config-hash"
      ];
    expect(hash({ spread: "zones" })).not.toBe(hash({ spread: "nodes" }));
    expect(hash({ maxSkew: 2 })).not.toBe(hash({}));
  });

  it("spreads a group of several replicas each as a group too: one constraint per key and policy", () => {
    const spec = {
      generators: [{ prefix: "conn", count: 3, shape: "ring", template: { image: "c:1", replicas: 2 } }],
    };
    expect(constraintsOf(spec, "conn-1")).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { "topo.dev/topology": "t", "topo.dev/group": "conn" } },
        matchLabelKeys: ["topo.dev/group-revision"],
      },
    ]);
  });

  it("labels a group's pods with its revision, which every member's change moves, so an update spreads the new pods alone", () => {
    const group = (image: string) => ({
      generators: [{ prefix: "conn", count: 4, shape: "mesh", template: { image } }],
    });
    const revisions = (spec: Record<string, unknown>) =>
      deployments(spec).map((d) => d.spec.template.metadata.labels["topo.dev/group-revision"]);
    const [first, ...rest] = revisions(group("c:1"));
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(rest).toEqual([first, first, first]);
    const [next] = revisions(group("c:2"));
    expect(next).not.toBe(first);
    // In the config hash too: the revision of the Topology says the members roll.
    const hash = (spec: Record<string, unknown>) =>
      deployment(spec, "conn-0").spec.template.metadata.annotations["topo.dev/config-hash"];
    expect(hash(group("c:2"))).not.toBe(hash(group("c:1")));
  });

  it("treats a generator of one node as a node of its own", () => {
    const spec = {
      generators: [{ prefix: "solo", count: 1, shape: "linear", template: { image: "c:1", replicas: 2 } }],
    };
    expect(constraintsOf(spec, "solo-0")[0].labelSelector.matchLabels["topo.dev/node"]).toBe("solo-0");
  });

  it("leaves a task's Job alone: it runs one pod", () => {
    const objs = renderKubernetes(
      resolve(
        { nodes: [{ name: "migrate", image: "m:1", task: {}, placement: { spread: "zones" } }] },
        { name: "t" },
      ),
    ) as unknown as Deployment[];
    const job = objs.find((o) => o.kind === "Job")!;
    expect(job.spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });
});
