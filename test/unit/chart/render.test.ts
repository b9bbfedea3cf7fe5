// The chart as rendered: lint, least-privilege RBAC, Pod Security "restricted", values → env, optional objects,
// and the generated files (values.schema.json, the CRD copy) in sync with their sources. helm template needs
// no cluster, so this is a unit test; test/e2e/chart installs the chart on a real API server.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { chartGeneratedFiles } from "../../../hack/chart-files.ts";
import { CHART, ROOT, helm, render, type Manifest } from "./helm.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
}
interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes?: Record<string, unknown>[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  serviceAccountName?: string;
}

const of = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const deployment = (ms: Manifest[]) =>
  of(ms, "Deployment")[0] as Manifest & {
    spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
  };
const env = (ms: Manifest[]) =>
  Object.fromEntries(
    deployment(ms).spec.template.spec.containers[0]!.env!.map((e) => [e.name, e.value ?? "(from)"]),
  );
const rules = (ms: Manifest[]) =>
  ms.filter((m) => m.kind === "Role" || m.kind === "ClusterRole").flatMap((m) => m.rules as Rule[]);

/** Flattens rules to "group/resource:verb" strings (resourceNames appended), sorted. */
const grants = (rs: Rule[]) =>
  rs
    .flatMap((r) =>
      r.apiGroups.flatMap((g) =>
        r.resources.flatMap((res) =>
          r.verbs.map(
            (v) => `${g || "core"}/${res}:${v}${r.resourceNames ? `@${r.resourceNames.join(",")}` : ""}`,
          ),
        ),
      ),
    )
    .sort();

const CHILD_VERBS = ["create", "delete", "list", "patch", "watch"];
const EXPECTED = [
  "topo.dev/topologies:list",
  "topo.dev/topologies:watch",
  "topo.dev/topologies/status:update",
  ...CHILD_VERBS.map((v) => `apps/deployments:${v}`),
  ...CHILD_VERBS.map((v) => `core/services:${v}`),
  ...CHILD_VERBS.map((v) => `core/persistentvolumeclaims:${v}`),
  ...CHILD_VERBS.map((v) => `core/configmaps:${v}`),
  ...CHILD_VERBS.map((v) => `networking.k8s.io/networkpolicies:${v}`),
  ...CHILD_VERBS.map((v) => `batch/jobs:${v}`),
  "core/pods:list",
  "core/pods:watch",
  "core/pods/log:get",
  ...["create", "delete", "get", "list"].map((v) => `apps/controllerrevisions:${v}`),
  "core/events:create",
].sort();

function expectRestricted(pod: PodSpec): void {
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 65532,
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(pod.hostNetwork ?? false).toBe(false);
  expect(pod.hostPID ?? false).toBe(false);
  expect(pod.hostIPC ?? false).toBe(false);
  for (const v of pod.volumes ?? []) expect(Object.keys(v).sort()).toEqual(["emptyDir", "name"]);
  for (const c of pod.containers)
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
}

describe("the topo-operator chart, rendered", () => {
  it("passes helm lint --strict", () => {
    expect(helm(["lint", "--strict", CHART])).toContain("0 chart(s) failed");
  });

  it("grants exactly the verbs the operator calls, cluster-wide, with no wildcards and no Secrets", () => {
    const ms = render();
    expect(of(ms, "ClusterRole")).toHaveLength(1);
    expect(of(ms, "Role")).toHaveLength(0); // no Lease role without leader election
    const rs = rules(ms);
    expect(grants(rs)).toEqual(EXPECTED);
    for (const r of rs) {
      for (const field of [r.apiGroups, r.resources, r.verbs]) expect(field).not.toContain("*");
      expect(r.resources.some((res) => res.startsWith("secrets"))).toBe(false);
    }
    const [binding] = of(ms, "ClusterRoleBinding") as (Manifest & { subjects: unknown[] })[];
    expect(binding!.subjects).toEqual([
      { kind: "ServiceAccount", name: "topo-topo-operator", namespace: "topo-system" },
    ]);
  });

  it("adds list on events, and nothing else, when the dashboard is enabled", () => {
    const ms = render(["dashboard.enabled=true"]);
    expect(grants(rules(ms))).toEqual([...EXPECTED, "core/events:list"].sort());
  });

  it("adds list and watch on events when history is recorded (the recorder watches them)", () => {
    for (const set of ["history.url.existingSecret=topo-history", "history.persistence.enabled=true"])
      expect(grants(rules(render([set])))).toEqual(
        [...EXPECTED, "core/events:list", "core/events:watch"].sort(),
      );
  });

  it("uses a Role and RoleBinding per watched namespace, and nothing cluster-wide, in namespaced mode", () => {
    const ms = render(["watchNamespaces={team-a,team-b}"]);
    expect(of(ms, "ClusterRole")).toHaveLength(0);
    expect(of(ms, "ClusterRoleBinding")).toHaveLength(0);
    expect(of(ms, "Role").map((m) => m.metadata.namespace)).toEqual(["team-a", "team-b"]);
    expect(of(ms, "RoleBinding").map((m) => m.metadata.namespace)).toEqual(["team-a", "team-b"]);
    for (const role of of(ms, "Role")) expect(grants(role.rules as Rule[])).toEqual(EXPECTED);
    expect(env(ms).TOPO_NAMESPACES).toBe("team-a,team-b");
  });

  it("meets Pod Security 'restricted' in the operator Deployment and the test Pod", () => {
    const ms = render();
    expectRestricted(deployment(ms).spec.template.spec);
    const [testPod] = of(ms, "Pod") as (Manifest & { spec: PodSpec })[];
    expect(testPod!.metadata.annotations?.["helm.sh/hook"]).toBe("test");
    expectRestricted(testPod!.spec);
  });

  it("probes /healthz and /readyz on the metrics port and runs the `operator` command", () => {
    const c = deployment(render()).spec.template.spec.containers[0]!;
    expect(c.ports).toEqual([{ name: "metrics", containerPort: 8081, protocol: "TCP" }]);
    expect(c.livenessProbe!.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(c.readinessProbe!.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect((c as unknown as { args: string[] }).args).toEqual(["operator"]);
    expect(c.image).toBe(
      `ghcr.io/topo-dev/topo-operator:${parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")).appVersion}`,
    );
  });

  it("turns on leader election with a named-Lease Role when replicas > 1", () => {
    const one = render();
    expect(env(one)).toMatchObject({
      TOPO_LEADER_ELECT: "false",
      TOPO_HTTP_PORT: "8081",
      TOPO_NAMESPACES: "",
    });
    const two = render(["replicas=2"]);
    expect(deployment(two).spec.replicas).toBe(2);
    expect(env(two)).toMatchObject({ TOPO_LEADER_ELECT: "true", TOPO_LEASE_NAMESPACE: "topo-system" });
    expect(env(two).TOPO_POD_NAME).toBe("(from)");
    const [lease] = of(two, "Role");
    expect(lease!.metadata.namespace).toBe("topo-system");
    expect(grants(lease!.rules as Rule[])).toEqual([
      "coordination.k8s.io/leases:create",
      "coordination.k8s.io/leases:get@topo-operator",
      "coordination.k8s.io/leases:update@topo-operator",
    ]);
  });

  it("installs the CRD from crds/ with helm.sh/resource-policy keep, unless told otherwise", () => {
    const source = parse(readFileSync(join(ROOT, "crds/topo.dev_topologies.yaml"), "utf8"));
    const [crd] = of(render(), "CustomResourceDefinition") as (Manifest & { spec: unknown })[];
    expect(crd!.metadata.name).toBe("topologies.topo.dev");
    expect(crd!.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(crd!.spec).toEqual(source.spec);
    const [unkept] = of(render(["crds.keep=false"]), "CustomResourceDefinition");
    expect(unkept!.metadata.annotations).toBeUndefined();
    expect(of(render(["crds.enabled=false"]), "CustomResourceDefinition")).toHaveLength(0);
  });

  it("adds the dashboard port and Service, a ServiceMonitor and a PodDisruptionBudget only when enabled", () => {
    const plain = render();
    expect(of(plain, "Service").map((s) => s.metadata.name)).toEqual(["topo-topo-operator-metrics"]);
    expect(of(plain, "ServiceMonitor")).toHaveLength(0);
    expect(of(plain, "PodDisruptionBudget")).toHaveLength(0);
    const all = render([
      "dashboard.enabled=true",
      "dashboard.tokenSecret.name=dash",
      "metrics.serviceMonitor.enabled=true",
      "podDisruptionBudget.enabled=true",
    ]);
    expect(of(all, "Service").map((s) => s.metadata.name)).toEqual([
      "topo-topo-operator-metrics",
      "topo-topo-operator-dashboard",
    ]);
    expect(deployment(all).spec.template.spec.containers[0]!.ports!.map((p) => p.name)).toEqual([
      "metrics",
      "dashboard",
    ]);
    expect(env(all)).toMatchObject({ TOPO_DASHBOARD_ENABLED: "true", TOPO_DASHBOARD_TOKEN: "(from)" });
    expect(of(all, "ServiceMonitor")).toHaveLength(1);
    expect(of(all, "PodDisruptionBudget")).toHaveLength(1);
  });

  it("has a helm test Pod that fetches /readyz through the metrics Service with the operator image", () => {
    const [pod] = of(render(["image.tag=1.2.3"]), "Pod") as (Manifest & { spec: PodSpec })[];
    const c = pod!.spec.containers[0]! as Container & { command: string[] };
    expect(c.image).toBe("ghcr.io/topo-dev/topo-operator:1.2.3");
    expect(c.command.slice(0, 2)).toEqual(["node", "-e"]);
    expect(c.command.at(-1)).toBe("http://topo-topo-operator-metrics.topo-system.svc:8081/readyz");
  });

  it("lets the operator pods take traffic only on the ports they serve, and the test Pod reach only DNS and /readyz", () => {
    type Policy = Manifest & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress?: { ports: { port: string | number }[]; from?: unknown[] }[];
        egress: { ports?: { port: number; protocol: string }[]; to?: unknown[] }[];
      };
    };
    const picks = (selector: Record<string, string>, m: Manifest) =>
      Object.entries(selector).every(([k, v]) => m.metadata.labels?.[k] === v);
    const ms = render([
      "dashboard.enabled=true",
      "networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.team=ops",
    ]);
    const [operator, test] = of(ms, "NetworkPolicy") as Policy[];
    const [pod] = of(ms, "Pod");
    const podTemplate = {
      metadata: { labels: deployment(ms).spec.template.metadata.labels },
    } as unknown as Manifest;
    expect(podTemplate.metadata.labels).toBeDefined();
    expect(operator!.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(picks(operator!.spec.podSelector.matchLabels, podTemplate)).toBe(true);
    expect(operator!.spec.ingress).toEqual([
      {
        ports: [
          { port: "metrics", protocol: "TCP" },
          { port: "dashboard", protocol: "TCP" },
        ],
        from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }],
      },
    ]);
    expect(operator!.spec.egress).toEqual([{}]);
    // The test Pod has a policy of its own, and none of the operator's selectors picks it.
    expect(picks(test!.spec.podSelector.matchLabels, pod!)).toBe(true);
    expect(picks(test!.spec.podSelector.matchLabels, podTemplate)).toBe(false);
    expect(test!.spec.ingress).toBeUndefined();
    expect(test!.spec.egress.flatMap((r) => r.ports!.map((p) => p.port))).toEqual([53, 53, 8081]);
    const selectors = [
      operator!.spec.podSelector.matchLabels,
      ...of(ms, "Service").map(
        (s) => (s as Manifest & { spec: { selector: Record<string, string> } }).spec.selector,
      ),
    ];
    for (const s of selectors) expect(picks(s, pod!)).toBe(false);
    expect(of(render(["networkPolicy.enabled=false"]), "NetworkPolicy")).toHaveLength(0);
    expect(of(render(["tests.enabled=false"]), "NetworkPolicy").map((p) => p.metadata.name)).toEqual([
      "topo-topo-operator",
    ]);
  });

  it("rejects values the schema does not know", () => {
    expect(() => render(["replcas=2"])).toThrow(/additional properties 'replcas' not allowed/);
    expect(() => render(["podAntiAffinity=maybe"])).toThrow(/podAntiAffinity/);
    expect(() => render(["leaderElection.enabled=true", "leaderElection.renewDeadlineSeconds=20"])).toThrow(
      /renewDeadlineSeconds must be less/,
    );
  });

  it("has values.schema.json and the CRD copy as hack/generate-chart.ts writes them", async () => {
    for (const [path, content] of Object.entries(await chartGeneratedFiles(ROOT)))
      expect({ path, content: readFileSync(join(ROOT, path), "utf8") }).toEqual({ path, content });
  });
});
