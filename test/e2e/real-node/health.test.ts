// Health, for real: a Topology of testsvc nodes with http, tcp and exec health, in a namespace whose pods run
// on the real node, reconciled by the operator, is Ready because the kubelet's readiness probes pass against
// the running containers; a node whose probe fails (each kind) runs but never becomes Ready, which is how we
// know the probes gate. Every node answers /peers through its Service, by its DNS name, and reaches every
// host of its TOPO_PEERS the same way (cluster DNS, kube-proxy, and the NetworkPolicies of isolation: links).
import type { V1Pod } from "@kubernetes/client-node";
import { request } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  kube,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "../operator/harness.ts";
import { createRealNodeNamespace, REAL_NODE_NAME, requireRealNode } from "../support/real-node.ts";
import { eventsAbout, getFrom, isPodReady, nodePods, readyPod, suffix } from "./helpers.ts";

const NS = `rn-health-${suffix()}`;
const IMAGE = "topo/testsvc:local";
const HTTP = [{ name: "http", port: 8080 }];
/** Probes every second, so Ready follows the container within seconds. */
const TIMING = { interval: "1s", timeout: "1s", retries: 3 };
/** Liveness starts this late, so a failing check leaves the container running (not Ready) for the test. */
const NO_LIVENESS_YET = { startPeriod: "300s" };

// A ring of declared edges (web -> cache -> worker -> web, and worker -> cache): every node has peers, and
// every node is some node's peer, so every /peers is asked through a Service the policies let through.
const HEALTHY = {
  nodes: [
    {
      name: "web",
      image: IMAGE,
      ports: HTTP,
      health: { http: { path: "/healthz", port: "http" }, ...TIMING },
      connectsTo: ["cache"],
    },
    {
      name: "cache",
      image: IMAGE,
      ports: HTTP,
      health: { tcp: { port: "http" }, ...TIMING },
      connectsTo: ["worker"],
    },
    {
      name: "worker",
      image: IMAGE,
      ports: HTTP,
      health: { exec: { command: ["testsvc", "get", "http://127.0.0.1:8080/healthz"] }, ...TIMING },
      connectsTo: ["web", "cache"],
    },
  ],
};

// One node per probe kind whose check fails against a server that runs: the http one answers 503, nothing
// listens on the tcp one's port, the exec one's command exits 1.
const FAILING = {
  nodes: [
    {
      name: "http",
      image: IMAGE,
      ports: HTTP,
      env: [{ name: "FAIL_HEALTH", value: "1" }],
      health: { http: { path: "/healthz", port: "http" }, ...TIMING, ...NO_LIVENESS_YET },
    },
    {
      name: "tcp",
      image: IMAGE,
      ports: [{ name: "closed", port: 9090 }],
      health: { tcp: { port: "closed" }, ...TIMING, ...NO_LIVENESS_YET },
    },
    {
      name: "exec",
      image: IMAGE,
      ports: HTTP,
      health: { exec: { command: ["sh", "-c", "exit 1"] }, ...TIMING, ...NO_LIVENESS_YET },
    },
  ],
  rollout: { progressDeadlineSeconds: 600 },
};

type Probe = { httpGet?: unknown; tcpSocket?: unknown; exec?: unknown };
interface Deployment {
  spec: { template: { spec: { containers: { readinessProbe?: Probe; livenessProbe?: Probe }[] } } };
}
const deployment = (name: string) =>
  request<Deployment>(kube().kc, "GET", `/apis/apps/v1/namespaces/${NS}/deployments/${name}`);

const envOf = (pod: V1Pod, name: string) =>
  pod.spec!.containers[0]!.env?.find((e) => e.name === name)?.value ?? "";

describe("health on the real node", () => {
  let op: OperatorProcess;

  beforeAll(async () => {
    await requireRealNode();
    await createRealNodeNamespace(NS);
    op = await startOperator({ namespace: NS });
  });

  afterAll(async () => {
    if (expect.getState().assertionCalls !== expect.getState().numPassingAsserts)
      process.stderr.write(`--- operator logs ---\n${op?.logs().slice(-6000)}\n`);
    await op?.stop();
    await request(kube().kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
  });

  it("is Ready because the kubelet's http, tcp and exec readiness probes pass on running containers", async () => {
    await applyTopology(topology(NS, "svc", HEALTHY));
    const t = await waitForPhase(NS, "svc", "Ready", 180_000);
    expect(t.status!.nodes!.map((n) => [n.name, n.readyReplicas])).toEqual([
      ["web", 1],
      ["cache", 1],
      ["worker", 1],
    ]);
    const kinds = { web: "httpGet", cache: "tcpSocket", worker: "exec" } as const;
    for (const [node, kind] of Object.entries(kinds)) {
      const container = (await deployment(`svc-${node}`)).spec.template.spec.containers[0]!;
      expect(Object.keys(container.readinessProbe!)).toContain(kind);
      expect(Object.keys(container.livenessProbe!)).toContain(kind);
      const pod = await readyPod(NS, "svc", node);
      expect(pod.spec!.nodeName).toBe(REAL_NODE_NAME);
      // A real container, running and passing its probes: Ready, and never restarted by its liveness probe.
      const status = pod.status!.containerStatuses![0]!;
      expect(status).toMatchObject({ ready: true, started: true, restartCount: 0 });
      expect(status.containerID).toMatch(/^containerd:\/\//);
      expect(status.state!.running).toBeDefined();
    }
  });

  it("answers /peers through each node's Service by DNS name, every TOPO_PEERS host reached", async () => {
    // For each node, a node that declares it as a peer (so its policy lets the request in).
    const askedFrom = { web: "worker", cache: "web", worker: "cache" } as const;
    const expected = {
      web: ["svc-cache:8080"],
      cache: ["svc-worker:8080"],
      worker: ["svc-web:8080", "svc-cache:8080"],
    };
    for (const [node, from] of Object.entries(askedFrom)) {
      const pod = await readyPod(NS, "svc", node);
      expect(envOf(pod, "TOPO_PEERS").split(",")).toEqual(expected[node as keyof typeof expected]);
      const client = (await readyPod(NS, "svc", from)).metadata!.name!;
      // The short name resolves through the pod's search path (svc.cluster.local) and the ClusterIP. A
      // peer the node dials may time out at first: the policy agent programs a new pod's rules after the
      // pod is Ready, as Kubernetes' own NetworkPolicy implementations do. So the answer is asked again
      // until every peer is reached, and the last one is what the assertion shows when that never comes.
      let answer: Record<string, string> | undefined;
      await waitFor(`${node}'s /peers from ${from}, every peer reached`, async () => {
        const r = await getFrom(NS, client, `http://svc-${node}:8080/peers`, 8);
        if (r.code !== 0) return false;
        answer = JSON.parse(r.out) as Record<string, string>;
        return Object.values(answer).every((v) => v === "ok");
      }).catch(() => undefined);
      expect(answer).toEqual(
        Object.fromEntries(expected[node as keyof typeof expected].map((p) => [p, "ok"])),
      );
    }
  });

  it("keeps a running node not Ready while its probe fails, for each kind, as the kubelet reports", async () => {
    await applyTopology(topology(NS, "gate", FAILING));
    for (const node of ["http", "tcp", "exec"]) {
      const pod = await waitFor(
        `gate/${node}'s container running`,
        async () =>
          (await nodePods(NS, "gate", node)).find((p) => p.status?.containerStatuses?.[0]?.state?.running),
        120_000,
      );
      const name = pod.metadata!.name!;
      // The kubelet's prober says why, on the pod.
      const failed = await waitFor(`the kubelet's readiness failure on ${name}`, async () =>
        (await eventsAbout(NS, name)).find(
          (e) => e.reason === "Unhealthy" && e.message.startsWith("Readiness probe failed"),
        ),
      );
      expect(failed.source?.component).toBe("kubelet");
    }
    // Well past the first probes, still running and still not Ready; the Topology does not call it Ready.
    await new Promise((r) => setTimeout(r, 5000));
    for (const node of ["http", "tcp", "exec"]) {
      const pods = await nodePods(NS, "gate", node);
      expect(pods).toHaveLength(1);
      expect(isPodReady(pods[0]!)).toBe(false);
      expect(pods[0]!.status!.containerStatuses![0]).toMatchObject({ ready: false, restartCount: 0 });
      expect(pods[0]!.status!.containerStatuses![0]!.state!.running).toBeDefined();
    }
    const gate = await readTopology(NS, "gate");
    expect(gate.status?.phase).not.toBe("Ready");
    expect(gate.status!.nodes!.every((n) => n.readyReplicas === 0)).toBe(true);
    // The same image with a passing check is Ready beside them: the check, not the container, decides.
    expect(isPodReady(await readyPod(NS, "svc", "web"))).toBe(true);
  });
});
