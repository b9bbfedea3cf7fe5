// The topo-operator chart on the local control plane: helm install, upgrade, rollback and uninstall, with an
// operator process that runs with exactly the chart's permissions. kwok fakes the chart's own pods (Ready, but
// no container runs), so the operator runs beside the cluster as a local process that impersonates the
// release's ServiceAccount: every call it makes is authorized by the chart's RBAC and nothing else.
// Every test has its own release and namespaces, in namespaces that enforce Pod Security "restricted", so
// the API server's admission checks the chart's pods too.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { NotFound } from "../../../operator/src/kube/errors.ts";
import { request } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  events,
  freePort,
  kube,
  listOwned,
  ROOT,
  topology,
  waitFor,
  waitForPhase,
} from "../operator/harness.ts";
import {
  buildOperatorImage,
  CHART,
  crdCondition,
  deploymentEnv,
  helm,
  installRelease,
  LOCAL_IMAGE,
  LOCAL_IMAGE_VALUES,
  parseManifests,
  releaseDeployment,
  removeKubeconfig,
  servedResources,
  serviceAccountUser,
  startImpersonatedOperator,
  statusOf,
  suffix,
  uninstallRelease,
  writeKubeconfig,
  type ImpersonatedOperator,
  type Manifest,
} from "./harness.ts";

const CRD = "topologies.topo.dev";
const IMAGE = "topo/testsvc:local";
/** One of each child kind the operator writes: Deployments, Services, a PVC and NetworkPolicies. */
const SPEC = {
  nodes: [
    {
      name: "db",
      image: IMAGE,
      ports: [{ name: "pg", port: 5432 }],
      volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }],
    },
    { name: "api", image: IMAGE, ports: [{ name: "http", port: 8080 }], dependsOn: ["db"] },
  ],
};

/** Cleanups of the running test, run in reverse order after it, whatever happened. */
let cleanups: (() => unknown)[] = [];
let operators: ImpersonatedOperator[] = [];

afterEach(async () => {
  const state = expect.getState();
  if (state.assertionCalls !== state.numPassingAsserts)
    for (const op of operators)
      process.stderr.write(`--- operator logs ---\n${op.operator.logs().slice(-6000)}\n`);
  for (const step of cleanups.reverse()) {
    try {
      await step();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
    }
  }
  cleanups = [];
  operators = [];
});

/**
 * A namespace for this test, deleted after it. A release's namespace enforces Pod Security "restricted";
 * the Topologies' workloads run in plain ones (Topo renders no securityContext of its own).
 */
async function namespace(prefix: string, opts: { restricted: boolean }): Promise<string> {
  const name = `${prefix}-${suffix()}`;
  const { objects } = kube();
  const labels: Record<string, string> = opts.restricted
    ? {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
      }
    : {};
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  cleanups.push(() =>
    objects.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name } }).catch(() => undefined),
  );
  return name;
}

/** helm install with the local image values; the release is uninstalled after the test. */
function install(release: string, ns: string, set: string[] = [], chart = CHART): string {
  cleanups.push(() => uninstallRelease(release, ns));
  return installRelease({ release, namespace: ns, chart, set: [...LOCAL_IMAGE_VALUES, ...set] });
}

async function operatorFor(
  opts: Parameters<typeof startImpersonatedOperator>[0],
): Promise<ImpersonatedOperator> {
  const op = await startImpersonatedOperator(opts);
  operators.push(op);
  cleanups.push(() => op.stop());
  return op;
}

/** The HTTP status of each named call, as one object, so a failure shows every call at once. */
async function statuses(
  kc: KubeConfig,
  calls: Record<string, Parameters<typeof statusOf> extends [KubeConfig, ...infer R] ? R : never>,
): Promise<Record<string, number>> {
  const entries = await Promise.all(
    Object.entries(calls).map(async ([what, args]) => [what, await statusOf(kc, ...args)] as const),
  );
  return Object.fromEntries(entries);
}

/** Applies SPEC as Topology `name` and waits until the operator reports it Ready with every child kind. */
async function expectReconciled(ns: string, name: string): Promise<void> {
  await applyTopology(topology(ns, name, SPEC));
  const t = await waitForPhase(ns, name, "Ready");
  expect(t.status).toMatchObject({ readyNodes: "2/2", revision: 1, lastGoodRevision: 1 });
  const names = async (kind: string, apiVersion: string) =>
    (await listOwned(ns, kind, apiVersion, name)).map((o) => o.metadata!.name).sort();
  expect(await names("Deployment", "apps/v1")).toEqual([`${name}-api`, `${name}-db`]);
  expect(await names("Service", "v1")).toEqual([`${name}-api`, `${name}-db`]);
  expect(await names("PersistentVolumeClaim", "v1")).toHaveLength(1);
  expect((await names("NetworkPolicy", "networking.k8s.io/v1")).length).toBeGreaterThan(0);
  // The chart lets the operator record Events: wait for the rollout's rather than race it.
  const started = await waitFor("the RolloutStarted event", async () =>
    (await events(ns, name)).find((e) => e.reason === "RolloutStarted"),
  );
  expect(started).toMatchObject({ type: "Normal", message: "revision 1 is rolling out" });
}

const noForbidden = (op: ImpersonatedOperator) =>
  expect(op.operator.logs().match(/.*(forbidden|\b403\b).*/gi) ?? []).toEqual([]);

describe("the topo-operator chart on the local control plane", () => {
  it("installs, and an operator with exactly its ClusterRole reconciles a Topology, and can read no Secrets", async () => {
    const ns = await namespace("chart-install", { restricted: true });
    const apps = await namespace("chart-install-apps", { restricted: false });
    const release = `inst-${suffix()}`;
    // The e2e global setup installed the CRD with kubectl and other tests use it: this release must not
    // own it (the last test installs the chart's own CRD under another group instead).
    const started = Date.now();
    expect(install(release, ns, ["crds.enabled=false"])).toContain("STATUS: deployed");
    const installed = Date.now();
    expect(await crdCondition(CRD, "Established")).toBe("True");
    expect(await servedResources("topo.dev/v1alpha1")).toEqual(
      expect.arrayContaining(["topologies", "topologies/status"]),
    );
    const d = await releaseDeployment(ns, release);
    expect(d.status?.availableReplicas).toBe(1);
    expect(deploymentEnv(d).TOPO_NAMESPACES).toBe("");

    // The chart's operator watches every namespace (TOPO_NAMESPACES=""); this one watches only the test's,
    // because the Topologies of tests running beside it belong to their own operators. The cluster-wide
    // list calls its informers would make are checked below as the same identity.
    const op = await operatorFor({ namespace: ns, release, watchNamespaces: apps });
    const ready = Date.now();
    await expectReconciled(apps, "shop");
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    process.stdout.write(
      `[chart] helm install --wait: ${s(installed - started)}; operator ready ${s(ready - installed)} later; ` +
        `first Topology Ready ${s(Date.now() - started)} after helm install began\n`,
    );
    noForbidden(op);

    expect(
      await statuses(op.kc, {
        "list topologies in all namespaces": [
          "GET",
          "/apis/topo.dev/v1alpha1/topologies",
          { query: { limit: "1" } },
        ],
        "list deployments in all namespaces": ["GET", "/apis/apps/v1/deployments", { query: { limit: "1" } }],
        "list services in all namespaces": ["GET", "/api/v1/services", { query: { limit: "1" } }],
        "list claims in all namespaces": ["GET", "/api/v1/persistentvolumeclaims", { query: { limit: "1" } }],
        "list policies in all namespaces": [
          "GET",
          "/apis/networking.k8s.io/v1/networkpolicies",
          { query: { limit: "1" } },
        ],
        "list pods in all namespaces": ["GET", "/api/v1/pods", { query: { limit: "1" } }],
        "list secrets in the namespace": ["GET", `/api/v1/namespaces/${apps}/secrets`],
        "list secrets in all namespaces": ["GET", "/api/v1/secrets"],
        "read a Secret": ["GET", `/api/v1/namespaces/${apps}/secrets/anything`],
        // Dry runs: were the call allowed, nothing would be deleted or changed.
        "delete the CRD": [
          "DELETE",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD}`,
          { query: { dryRun: "All" } },
        ],
        "change a Topology's spec": [
          "PATCH",
          `/apis/topo.dev/v1alpha1/namespaces/${apps}/topologies/shop`,
          { query: { dryRun: "All" }, body: { spec: {} }, contentType: "application/merge-patch+json" },
        ],
      }),
    ).toEqual({
      "list topologies in all namespaces": 200,
      "list deployments in all namespaces": 200,
      "list services in all namespaces": 200,
      "list claims in all namespaces": 200,
      "list policies in all namespaces": 200,
      "list pods in all namespaces": 200,
      "list secrets in the namespace": 403,
      "list secrets in all namespaces": 403,
      "read a Secret": 403,
      "delete the CRD": 403,
      "change a Topology's spec": 403,
    });
  });

  it("is refused at once when it impersonates a ServiceAccount the chart did not bind (the impersonation is real)", async () => {
    const ns = await namespace("chart-unbound", { restricted: false });
    const kubeconfig = writeKubeconfig({ as: serviceAccountUser(ns, "default") });
    cleanups.push(() => removeKubeconfig(kubeconfig));
    let out = "";
    const child = spawn(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), "operator"], {
      cwd: ROOT,
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        TOPO_NAMESPACES: ns,
        TOPO_HTTP_HOST: "127.0.0.1",
        TOPO_HTTP_PORT: String(await freePort()),
        TOPO_DASHBOARD_ENABLED: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    cleanups.push(async () => {
      child.kill();
      await exited;
    });
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor("the operator to be refused", async () =>
      out.includes(`User \\"system:serviceaccount:${ns}:default\\" cannot list resource \\"topologies\\"`),
    );
  });

  it("grants only the watched namespaces with watchNamespaces, through Roles, and the operator reconciles there", async () => {
    const ns = await namespace("chart-nsd", { restricted: true });
    const watched = await namespace("chart-nsd-watched", { restricted: false });
    const other = await namespace("chart-nsd-other", { restricted: false });
    const release = `nsd-${suffix()}`;
    install(release, ns, ["crds.enabled=false", `watchNamespaces={${watched}}`]);
    const admin = kube().kc;
    const byRelease = { query: { labelSelector: `app.kubernetes.io/instance=${release}` } };
    const count = async (path: string) =>
      (await request<{ items: unknown[] }>(admin, "GET", path, byRelease)).items.length;
    expect(await count("/apis/rbac.authorization.k8s.io/v1/clusterroles")).toBe(0);
    expect(await count("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings")).toBe(0);
    expect(await count(`/apis/rbac.authorization.k8s.io/v1/namespaces/${watched}/roles`)).toBe(1);
    expect(deploymentEnv(await releaseDeployment(ns, release)).TOPO_NAMESPACES).toBe(watched);

    // Exactly the chart's environment, TOPO_NAMESPACES included.
    const op = await operatorFor({ namespace: ns, release });
    await expectReconciled(watched, "shop");
    noForbidden(op);
    expect(
      await statuses(op.kc, {
        "list topologies in the watched namespace": [
          "GET",
          `/apis/topo.dev/v1alpha1/namespaces/${watched}/topologies`,
        ],
        "list topologies in all namespaces": ["GET", "/apis/topo.dev/v1alpha1/topologies"],
        "list topologies in another namespace": [
          "GET",
          `/apis/topo.dev/v1alpha1/namespaces/${other}/topologies`,
        ],
        "list deployments in another namespace": ["GET", `/apis/apps/v1/namespaces/${other}/deployments`],
        "list secrets in the watched namespace": ["GET", `/api/v1/namespaces/${watched}/secrets`],
      }),
    ).toEqual({
      "list topologies in the watched namespace": 200,
      "list topologies in all namespaces": 403,
      "list topologies in another namespace": 403,
      "list deployments in another namespace": 403,
      "list secrets in the watched namespace": 403,
    });
  });

  it("upgrades to two replicas with leader election on a Lease it may renew, and rolls back", async () => {
    const ns = await namespace("chart-upgrade", { restricted: true });
    const apps = await namespace("chart-upgrade-apps", { restricted: false });
    const release = `upg-${suffix()}`;
    install(release, ns, ["crds.enabled=false"]);
    const before = await releaseDeployment(ns, release);
    expect(before.spec.replicas).toBe(1);
    expect(before.spec.strategy.type).toBe("Recreate");
    expect(deploymentEnv(before)).toMatchObject({ TOPO_LEADER_ELECT: "false", TOPO_LOG_LEVEL: "info" });
    const leaderRole = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${release}-topo-operator-leader-election`;
    expect(await statusOf(kube().kc, "GET", leaderRole)).toBe(404);

    helm([
      "upgrade",
      release,
      CHART,
      "--namespace",
      ns,
      "--reuse-values",
      "--set",
      "replicas=2",
      "--set",
      "config.logLevel=debug",
      "--wait",
      "--timeout",
      "120s",
    ]);
    const after = await releaseDeployment(ns, release);
    expect(after.metadata!.generation).toBeGreaterThan(before.metadata!.generation!);
    expect(after.spec.replicas).toBe(2);
    expect(after.status?.availableReplicas).toBe(2);
    expect(after.spec.strategy.type).toBe("RollingUpdate");
    expect(deploymentEnv(after)).toMatchObject({
      TOPO_LEADER_ELECT: "true",
      TOPO_LEASE_NAMESPACE: ns,
      TOPO_LOG_LEVEL: "debug",
    });
    expect(await statusOf(kube().kc, "GET", leaderRole)).toBe(200);
    const history = JSON.parse(helm(["history", release, "--namespace", ns, "-o", "json"])) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, "superseded"],
      [2, "deployed"],
    ]);

    // The upgraded environment elects a leader: the Lease Role lets it create and renew its Lease.
    const op = await operatorFor({ namespace: ns, release, watchNamespaces: apps });
    await expectReconciled(apps, "shop");
    const lease = await request<{ spec: { holderIdentity: string } }>(
      kube().kc,
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/topo-operator`,
    );
    expect(lease.spec.holderIdentity).toBe(op.identity);
    noForbidden(op);
    await op.stop();

    helm(["rollback", release, "1", "--namespace", ns, "--wait", "--timeout", "120s"]);
    const back = await releaseDeployment(ns, release);
    expect(back.spec.replicas).toBe(1);
    expect(deploymentEnv(back)).toMatchObject({ TOPO_LEADER_ELECT: "false", TOPO_LOG_LEVEL: "info" });
    expect(await statusOf(kube().kc, "GET", leaderRole)).toBe(404);
  });

  // Found by this test: the dashboard's events endpoint lists Events, which the chart granted only with
  // `create`; with dashboard.enabled the rules now include `list` on events.
  it("grants what the dashboard reads when the dashboard is enabled", async () => {
    const ns = await namespace("chart-dash", { restricted: true });
    const apps = await namespace("chart-dash-apps", { restricted: false });
    const release = `dash-${suffix()}`;
    install(release, ns, ["crds.enabled=false", "dashboard.enabled=true"]);
    const op = await operatorFor({ namespace: ns, release, watchNamespaces: apps });
    await expectReconciled(apps, "shop");
    const api = (path: string) => fetch(`http://127.0.0.1:${op.dashboardPort}/api${path}`);
    expect((await api("/topologies")).status).toBe(200);
    const res = await api(`/topologies/${apps}/shop/events`);
    expect({ status: res.status, body: res.ok ? "" : await res.text() }).toEqual({ status: 200, body: "" });
    noForbidden(op);
  });

  it("has a helm test hook whose command, run in the operator image, passes against a ready operator", async () => {
    // `helm test` itself cannot pass or fail here: its Pod is faked by kwok, which only completes Pods that
    // Jobs own, so it would stay Running until helm's timeout. What runs here instead: the hook as helm
    // stores it, admitted by the API server (dry run) under Pod Security "restricted", and its container's
    // command run by Docker in the operator image against a real operator, with the Service's cluster DNS
    // name replaced by the operator's local address.
    const ns = await namespace("chart-hook", { restricted: true });
    const release = `hook-${suffix()}`;
    install(release, ns, ["crds.enabled=false"]);
    const hooks = parseManifests(helm(["get", "hooks", release, "--namespace", ns]));
    const pod = hooks.find((h) => h.kind === "Pod") as Manifest & {
      spec: { containers: { image: string; command: string[] }[] };
    };
    expect(pod.metadata.annotations).toMatchObject({ "helm.sh/hook": "test" });
    const [c] = pod.spec.containers;
    expect(c!.image).toBe(LOCAL_IMAGE);
    expect(c!.command.at(-1)).toBe(`http://${release}-topo-operator-metrics.${ns}.svc:8081/readyz`);
    await request(kube().kc, "POST", `/api/v1/namespaces/${ns}/pods`, {
      query: { dryRun: "All" },
      body: pod,
    });

    buildOperatorImage();
    const op = await operatorFor({ namespace: ns, release, watchNamespaces: ns });
    const runHook = (url: string) =>
      spawnSync(
        "docker",
        [
          "run",
          "--rm",
          "--network",
          "host",
          "--read-only",
          "--user",
          "65532",
          "--cap-drop",
          "ALL",
          "--entrypoint",
          c!.command[0]!,
          c!.image,
          ...c!.command.slice(1, -1),
          url,
        ],
        { encoding: "utf8" },
      );
    const ready = runHook(`http://127.0.0.1:${op.operator.port}/readyz`);
    expect({ status: ready.status, stdout: ready.stdout.trim(), stderr: ready.stderr }).toEqual({
      status: 0,
      stdout: "200 ok",
      stderr: "",
    });
    const down = runHook(`http://127.0.0.1:${await freePort()}/readyz`);
    expect(down.status).toBe(1);
  }, 900_000);

  it("keeps its CRD and the Topologies in it on uninstall with crds.keep, and deletes them without", async () => {
    // The real chart cannot take over the CRD the e2e global setup applied with kubectl: helm refuses, and
    // creates nothing.
    const ns = await namespace("chart-crd", { restricted: true });
    expect(() =>
      installRelease({ release: `crd-${suffix()}`, namespace: ns, set: LOCAL_IMAGE_VALUES }),
    ).toThrow(
      /CustomResourceDefinition "topologies\.topo\.dev" .* exists and cannot be imported into the current release/,
    );
    expect(JSON.parse(helm(["list", "--all", "--namespace", ns, "-o", "json"]))).toEqual([]);

    // So crds.enabled=true and crds.keep are proved on a copy of the chart whose CRD file (the template reads
    // files/crds/) names another API group, without the short name and category, so that no test or person
    // using topologies.topo.dev meanwhile sees it. The templates are the chart's own, unchanged.
    const copyChart = (group: string) => {
      const dir = mkdtempSync(join(tmpdir(), "topo-chart-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      cpSync(CHART, dir, { recursive: true });
      const file = join(dir, "files/crds/topo.dev_topologies.yaml");
      const crd = parse(readFileSync(file, "utf8")) as Manifest & {
        spec: { group: string; names: Record<string, unknown> };
      };
      crd.metadata.name = `topologies.${group}`;
      crd.spec.group = group;
      delete crd.spec.names.shortNames;
      delete crd.spec.names.categories;
      writeFileSync(file, stringify(crd));
      cleanups.push(() =>
        request(
          kube().kc,
          "DELETE",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        ).catch((err) => {
          if (!(err instanceof NotFound)) throw err;
        }),
      );
      return { dir, crd: crd.metadata.name };
    };

    const group = `k${suffix()}.e2e.topo.dev`;
    const kept = copyChart(group);
    const release = `crd-${suffix()}`;
    install(release, ns, [], kept.dir);
    await waitFor(
      `${kept.crd} to be established`,
      async () => (await crdCondition(kept.crd, "Established")) === "True",
    );
    expect(await servedResources(`${group}/v1alpha1`)).toEqual(expect.arrayContaining(["topologies"]));
    const crd = await request<Manifest>(
      kube().kc,
      "GET",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${kept.crd}`,
    );
    expect(crd.metadata.annotations).toMatchObject({
      "helm.sh/resource-policy": "keep",
      "meta.helm.sh/release-name": release,
      "meta.helm.sh/release-namespace": ns,
    });
    // Served with the schema's defaults: the API server fills in isolation.
    const path = `/apis/${group}/v1alpha1/namespaces/${ns}/topologies`;
    const created = await request<{ spec: { isolation?: string } }>(kube().kc, "POST", path, {
      body: { ...topology(ns, "kept", SPEC), apiVersion: `${group}/v1alpha1` },
    });
    expect(created.spec.isolation).toBe("links");

    const out = uninstallRelease(release, ns);
    expect(out).toMatch(
      new RegExp(`kept due to the resource policy:\\s*\\[CustomResourceDefinition\\] ${kept.crd}`),
    );
    expect(await crdCondition(kept.crd, "Established")).toBe("True");
    expect(await statusOf(kube().kc, "GET", `${path}/kept`)).toBe(200);
    expect(
      await statusOf(kube().kc, "GET", `/apis/apps/v1/namespaces/${ns}/deployments/${release}-topo-operator`),
    ).toBe(404);
    expect(
      await statusOf(
        kube().kc,
        "GET",
        `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}-topo-operator`,
      ),
    ).toBe(404);

    // Without crds.keep, uninstall deletes the CRD: the annotation is what kept it above.
    const unkept = copyChart(`k${suffix()}.e2e.topo.dev`);
    const release2 = `crd-${suffix()}`;
    install(release2, ns, ["crds.keep=false"], unkept.dir);
    await waitFor(
      `${unkept.crd} to be established`,
      async () => (await crdCondition(unkept.crd, "Established")) === "True",
    );
    expect(uninstallRelease(release2, ns)).not.toContain("kept due to the resource policy");
    await waitFor(
      `${unkept.crd} to be deleted`,
      async () => (await crdCondition(unkept.crd, "Established")) === undefined,
    );
  });
});
