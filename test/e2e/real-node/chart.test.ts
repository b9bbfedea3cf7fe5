// The chart, for real: the operator image built here (hack/operator-image.sh) and imported into the real node,
// `helm install`ed with the local image values into a namespace whose pods run on the real node and that
// enforces Pod Security "restricted". The operator pod is a real container: Ready once its informers synced
// through the `kubernetes` Service (kube-proxy to the API server), running as the chart's non-root user on a
// read-only root filesystem with no capabilities. `helm test`'s hook pod runs there and succeeds. A Topology is
// reconciled by that pod (no operator runs on the host: the pod's logs and metrics show the reconcile).
// `helm upgrade` to two replicas elects one leader (the Lease names a pod), and deleting the leader pod fails
// over to the other, which reconciles the next Topology. Last, the GitHub workflow's kind step,
// `hack/helm-install.sh --test`, runs unchanged against this cluster.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { V1Pod } from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../../../operator/src/api/constants.ts";
import { request } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  counter,
  kube,
  readTopology,
  ROOT,
  topology,
  waitFor,
  waitForPhase,
} from "../operator/harness.ts";
import {
  buildOperatorImage,
  CHART,
  helm,
  installRelease,
  LOCAL_IMAGE,
  LOCAL_IMAGE_VALUES,
  releaseDeployment,
  uninstallRelease,
} from "../chart/harness.ts";
import { record } from "../support/measure.ts";
import {
  createRealNodeNamespace,
  importImages,
  REAL_NODE_NAME,
  requireRealNode,
} from "../support/real-node.ts";
import { eventsAbout, execIn, getFrom, isPodReady, kubectl, suffix } from "./helpers.ts";

const RESTRICTED = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
};
const LEASE = "topo-operator";
/** Topologies live on kwok's nodes: only the operator has to run for real. */
const SPEC = { nodes: [{ name: "api", image: "topo/testsvc:local", ports: [{ name: "http", port: 8080 }] }] };

const api = <T>(method: "GET" | "DELETE" | "POST", path: string, body?: unknown) =>
  request<T>(kube().kc, method, path, body === undefined ? {} : { body });
const deleteNamespace = (name: string) => api("DELETE", `/api/v1/namespaces/${name}`).catch(() => undefined);

/** The release's operator pods that are not being deleted. */
async function operatorPods(namespace: string, release: string): Promise<V1Pod[]> {
  const list = await request<{ items: V1Pod[] }>(kube().kc, "GET", `/api/v1/namespaces/${namespace}/pods`, {
    query: {
      labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/name=topo-operator,!app.kubernetes.io/component`,
    },
  });
  return list.items.filter((p) => !p.metadata!.deletionTimestamp);
}

const logsOf = async (namespace: string, pod: string) => {
  const r = await kubectl("logs", "-n", namespace, pod);
  if (r.code !== 0) throw new Error(`kubectl logs ${pod}: ${r.out}`);
  return r.out;
};
/** The pod's JSON log lines, parsed. */
const logLines = async (namespace: string, pod: string) =>
  (await logsOf(namespace, pod))
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The operator's /metrics, fetched inside its own container. */
async function podMetrics(namespace: string, pod: string): Promise<string> {
  const r = await execIn(
    namespace,
    pod,
    "node",
    "-e",
    'fetch("http://127.0.0.1:8081/metrics").then(async (r) => process.stdout.write(await r.text()))',
  );
  if (r.code !== 0) throw new Error(`metrics of ${pod}: ${r.out}`);
  return r.out;
}

const leaseHolder = async (namespace: string) =>
  (
    await api<{ spec: { holderIdentity?: string } }>(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEASE}`,
    )
  ).spec.holderIdentity;

/** Whether a pod's logs show it reconciling the Topology namespace/name. */
const reconciledBy = async (namespace: string, pod: string, key: string) =>
  (await logLines(namespace, pod)).some((l) => l.topology === key && l.msg === "reconciled");

beforeAll(async () => {
  await requireRealNode();
  const started = Date.now();
  const log = buildOperatorImage();
  await importImages(LOCAL_IMAGE);
  process.stdout.write(
    `${log}\n[real-node] ${LOCAL_IMAGE} built and imported in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}, 900_000);

describe("the chart on the real node", () => {
  const REL = `rn-chart-${suffix()}`;
  const WATCH = `rn-chart-topos-${suffix()}`;
  const release = `rn-${suffix()}`;
  let leader: string;
  let standby: string;

  beforeAll(async () => {
    await createRealNodeNamespace(REL, RESTRICTED);
    await api("POST", "/api/v1/namespaces", { metadata: { name: WATCH } });
    try {
      installRelease({
        release,
        namespace: REL,
        set: [
          ...LOCAL_IMAGE_VALUES,
          "crds.enabled=false",
          `watchNamespaces={${WATCH}}`,
          "config.logLevel=debug",
        ],
      });
    } catch (err) {
      // helm --wait only says the deadline passed: the pod's own words say why it is not Ready.
      const logs = await Promise.all(
        (await operatorPods(REL, release)).map(
          async (p) =>
            `--- ${p.metadata!.name} ---\n${(await kubectl("logs", "-n", REL, p.metadata!.name!)).out}`,
        ),
      );
      throw new Error(`${(err as Error).message}\n${logs.join("\n").slice(-6000)}`, { cause: err });
    }
  }, 300_000);

  afterAll(async () => {
    if (expect.getState().assertionCalls !== expect.getState().numPassingAsserts)
      for (const pod of await operatorPods(REL, release).catch(() => []))
        process.stderr.write(
          `--- ${pod.metadata!.name} ---\n${(await kubectl("logs", "-n", REL, pod.metadata!.name!)).out.slice(-4000)}\n`,
        );
    try {
      uninstallRelease(release, REL);
    } finally {
      await deleteNamespace(WATCH);
      await deleteNamespace(REL);
    }
  });

  it("runs the operator pod there, Ready, as the chart's restricted security context says", async () => {
    const pods = await operatorPods(REL, release);
    expect(pods).toHaveLength(1);
    const pod = pods[0]!;
    expect(pod.spec!.nodeName).toBe(REAL_NODE_NAME);
    expect(isPodReady(pod)).toBe(true);
    const container = pod.status!.containerStatuses![0]!;
    expect(container).toMatchObject({ ready: true, image: expect.stringContaining("topo/operator:dev") });
    expect(container.containerID).toMatch(/^containerd:\/\//);
    expect(pod.spec!.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.spec!.containers[0]!.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    // What the runtime made of it, seen from inside the container: uid and gid 65532, no effective
    // capability, no_new_privs, a seccomp filter, a read-only root and a writable /tmp (the emptyDir).
    const probe = [
      'const fs = require("fs");',
      'const status = fs.readFileSync("/proc/self/status", "utf8");',
      "const field = (k) => status.match(new RegExp(k + ':\\\\s*(\\\\S+)'))[1];",
      'let root = "writable"; try { fs.writeFileSync("/app/probe", ""); } catch (e) { root = e.code; }',
      'fs.writeFileSync("/tmp/probe", "");',
      "console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), root,",
      '  capEff: field("CapEff"), noNewPrivs: field("NoNewPrivs"), seccomp: field("Seccomp") }));',
    ].join("\n");
    const r = await execIn(REL, pod.metadata!.name!, "node", "-e", probe);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      uid: 65532,
      gid: 65532,
      root: "EROFS",
      capEff: "0000000000000000",
      noNewPrivs: "1",
      seccomp: "2",
    });
    // It talks to the API server as an in-cluster client, through the kubernetes Service's ClusterIP.
    const lines = await logLines(REL, pod.metadata!.name!);
    expect(lines.find((l) => l.msg === "topo operator starting")).toMatchObject({
      cluster: "https://10.96.0.1:443",
    });
    expect(lines.some((l) => l.msg === "informer caches synced")).toBe(true);
  });

  it("passes helm test, its hook pod run on the real node", () => {
    // Not --logs: helm deletes the succeeded hook pod before reading its logs (helm/helm#9098).
    const out = helm(["test", release, "--namespace", REL, "--timeout", "120s"]);
    expect(out).toMatch(/Phase:\s+Succeeded/);
  });

  it("ran the helm test hook pod as a real container on the real node", async () => {
    const hook = `${(await releaseDeployment(REL, release)).metadata!.name}-test-readyz`;
    // The hook pod is deleted once it succeeded; its Events stay.
    const events = await eventsAbout(REL, hook);
    expect(events).toContainEqual(
      expect.objectContaining({ reason: "Scheduled", message: expect.stringContaining(REAL_NODE_NAME) }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        reason: "Started",
        source: expect.objectContaining({ component: "kubelet" }),
      }),
    );
  });

  it("enforces the chart's NetworkPolicies: the test Pod's reaches DNS and /readyz only, and takes nothing in", async () => {
    // Two pods of testsvc beside the operator: one with the `helm test` Pod's labels, one a stranger that no
    // policy selects. kube-router enforces the policies on the real node.
    const pod = (name: string, labels: Record<string, string>) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels },
      spec: {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "svc",
            image: "topo/testsvc:local",
            imagePullPolicy: "Never",
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      },
    });
    const tester = `tester-${suffix()}`;
    const stranger = `stranger-${suffix()}`;
    const testLabels = {
      "app.kubernetes.io/name": "topo-operator-test",
      "app.kubernetes.io/instance": release,
      "app.kubernetes.io/component": "test",
    };
    await api("POST", `/api/v1/namespaces/${REL}/pods`, pod(tester, testLabels));
    await api("POST", `/api/v1/namespaces/${REL}/pods`, pod(stranger, { app: "stranger" }));
    try {
      const ipOf = (name: string) =>
        waitFor(`${name} running`, async () => {
          const p = await api<V1Pod>("GET", `/api/v1/namespaces/${REL}/pods/${name}`);
          return p.status?.phase === "Running" && p.status.podIP;
        });
      const [operator] = await operatorPods(REL, release);
      const operatorIp = operator!.status!.podIP!;
      const [testerIp, strangerIp] = await Promise.all([ipOf(tester), ipOf(stranger)]);
      const readyz = `http://${release}-topo-operator-metrics.${REL}.svc:8081/readyz`;
      const reaches = async (from: string, url: string) => (await getFrom(REL, from, url)).code === 0;
      // Allowed: the test Pod's egress to DNS and the metrics port; anyone's ingress to the metrics port.
      expect(await reaches(tester, readyz)).toBe(true);
      expect(await reaches(stranger, `http://${operatorIp}:8081/readyz`)).toBe(true);
      // Denied (once kube-router has the new pods in its rules): the test Pod's egress anywhere else, and
      // any ingress to it. The stranger, selected by no policy, answers whoever else asks.
      await waitFor("the test Pod's egress to the stranger denied", async () =>
        (await reaches(tester, `http://${strangerIp}:8080/healthz`)) ? undefined : true,
      );
      await waitFor("ingress to the test Pod denied", async () =>
        (await reaches(stranger, `http://${testerIp}:8080/healthz`)) ? undefined : true,
      );
      // The operator's egress is open by default (networkPolicy.egress [{}]).
      const fromOperator = await execIn(
        REL,
        operator!.metadata!.name!,
        "node",
        "-e",
        `fetch("http://${strangerIp}:8080/healthz", { signal: AbortSignal.timeout(3000) })` +
          ".then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
      );
      expect(fromOperator.code).toBe(0);
      expect(await reaches(tester, readyz)).toBe(true);
    } finally {
      await api("DELETE", `/api/v1/namespaces/${REL}/pods/${tester}`).catch(() => undefined);
      await api("DELETE", `/api/v1/namespaces/${REL}/pods/${stranger}`).catch(() => undefined);
    }
  });

  it("reconciles a Topology from the pod, with no operator on the host", async () => {
    const [pod] = await operatorPods(REL, release);
    const name = pod!.metadata!.name!;
    await applyTopology(topology(WATCH, "first", SPEC));
    const t = await waitForPhase(WATCH, "first", "Ready");
    // The status was written by the operator's field manager (this test runs none of its own)...
    expect(t.metadata!.managedFields).toContainEqual(
      expect.objectContaining({ manager: FIELD_MANAGER, subresource: "status" }),
    );
    // ...and it was the pod: its logs show the reconcile, its metrics count it.
    await waitFor("the pod's log of the reconcile", () => reconciledBy(REL, name, `${WATCH}/first`));
    expect(counter(await podMetrics(REL, name), "topo_reconcile_total", 'result="success"')).toBeGreaterThan(
      0,
    );
  });

  it("elects one leader after helm upgrade to two replicas: the Lease names one of the pods", async () => {
    helm([
      "upgrade",
      release,
      CHART,
      "--namespace",
      REL,
      "--reuse-values",
      "--set",
      "replicas=2",
      "--wait",
      "--timeout",
      "180s",
    ]);
    const pods = await waitFor("two Ready operator pods", async () => {
      const p = (await operatorPods(REL, release)).filter(isPodReady);
      return p.length === 2 && p;
    });
    const names = pods.map((p) => p.metadata!.name!);
    expect(pods.every((p) => p.spec!.nodeName === REAL_NODE_NAME)).toBe(true);
    leader = await waitFor("a Lease holder", async () => {
      const h = await leaseHolder(REL);
      return h !== undefined && names.includes(h) && h;
    });
    standby = names.find((n) => n !== leader)!;
    const leading = async (pod: string) => counter(await podMetrics(REL, pod), "topo_leader");
    expect(await leading(leader)).toBe(1);
    expect(await leading(standby)).toBe(0);
    expect((await logLines(REL, leader)).some((l) => l.msg === "became leader")).toBe(true);
    expect((await logLines(REL, standby)).some((l) => l.msg === "became leader")).toBe(false);
  });

  it("fails over when the leader pod is deleted: the other pod takes the Lease and reconciles", async () => {
    const deleted = Date.now();
    await api("DELETE", `/api/v1/namespaces/${REL}/pods/${leader}`);
    await waitFor("the standby holding the Lease", async () => (await leaseHolder(REL)) === standby, 90_000);
    const failoverSeconds = (Date.now() - deleted) / 1000;
    record("real-node chart: leader pod deleted -> the standby holds the Lease", {
      seconds: failoverSeconds,
    });
    process.stdout.write(
      `[real-node] leader failover ${failoverSeconds.toFixed(1)} s after the pod's deletion\n`,
    );
    await applyTopology(topology(WATCH, "second", SPEC));
    await waitForPhase(WATCH, "second", "Ready");
    await waitFor("the new leader's log of the reconcile", () =>
      reconciledBy(REL, standby, `${WATCH}/second`),
    );
    expect(counter(await podMetrics(REL, standby), "topo_leader")).toBe(1);
    // The Deployment replaced the deleted pod; the replacement waits as the new standby.
    const replacement = await waitFor("the replacement pod Ready", async () =>
      (await operatorPods(REL, release)).find((p) => p.metadata!.name !== standby && isPodReady(p)),
    );
    expect(replacement.metadata!.name).not.toBe(leader);
    expect(await leaseHolder(REL)).toBe(standby);
    expect((await readTopology(WATCH, "first")).status?.phase).toBe("Ready");
  });
});

describe("the GitHub workflow's kind step against this cluster", () => {
  const NS = `rn-helm-install-${suffix()}`;
  const release = `ci-${suffix()}`;

  afterAll(async () => {
    try {
      uninstallRelease(release, NS);
    } finally {
      await deleteNamespace(NS);
    }
  });

  it("passes hack/helm-install.sh --test unchanged, the operator and its test pod on the real node", async () => {
    // The script creates its namespace if missing; made beforehand, its pods go to the real node.
    await createRealNodeNamespace(NS, RESTRICTED);
    const { stderr } = await promisify(execFile)("hack/helm-install.sh", ["--test"], {
      cwd: ROOT,
      env: {
        ...process.env,
        TOPO_HELM_RELEASE: release,
        TOPO_HELM_NAMESPACE: NS,
        TOPO_OPERATOR_IMAGE: LOCAL_IMAGE,
      },
      timeout: 420_000,
    });
    expect(stderr).toContain("[helm-install] helm test passed");
    const pods = await operatorPods(NS, release);
    expect(pods.map((p) => [p.spec!.nodeName, isPodReady(p)])).toEqual([[REAL_NODE_NAME, true]]);
  }, 480_000);
});
