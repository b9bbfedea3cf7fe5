// Rollback, for real: on the real node a release whose container exits (EXIT_AFTER) crash-loops under the
// kubelet, and the operator rolls it back from the pod's real CrashLoopBackOff, before the deadline; a
// release whose readiness fails (FAIL_HEALTH=1) keeps running unready and is rolled back at the deadline.
// After each, the Service's endpoints are the previous revision's pods again and they answer through it.
// The time from the request (the apply) to recovered is measured on real pods and recorded
// (test/e2e/artifacts/measurements.jsonl), never asserted on.
import type { V1Pod } from "@kubernetes/client-node";
import { ANNOTATION_CONFIG_HASH, LABEL_NODE } from "../../../operator/src/api/constants.ts";
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
  type TopologyObject,
} from "../operator/harness.ts";
import { record } from "../support/measure.ts";
import { createRealNodeNamespace, requireRealNode } from "../support/real-node.ts";
import { getFrom, isPodReady, nodePods, readyPod, suffix } from "./helpers.ts";

const NS = `rn-rollback-${suffix()}`;
const IMAGE = "topo/testsvc:local";
const DEADLINE = 30;
const HEALTH = {
  http: { path: "/healthz", port: "http" },
  interval: "1s",
  timeout: "1s",
  retries: 2,
  // Liveness starts after the deadline: an unready release is judged by readiness alone, never restarted.
  startPeriod: "120s",
};
const HTTP = [{ name: "http", port: 8080 }];

/** api at a release (its env), and a client that talks to it (its declared peer under isolation: links). */
const spec = (env: Record<string, string>) => ({
  nodes: [
    {
      name: "api",
      image: IMAGE,
      ports: HTTP,
      health: HEALTH,
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
    },
    { name: "client", image: IMAGE, ports: HTTP, health: HEALTH, connectsTo: ["api"] },
  ],
  rollout: { progressDeadlineSeconds: DEADLINE },
});

interface EndpointSlice {
  endpoints?: { conditions?: { ready?: boolean }; targetRef?: { name: string } }[];
}
/** The pods behind api's Service that it sends traffic to. */
async function servingPods(): Promise<string[]> {
  const list = await request<{ items: EndpointSlice[] }>(
    kube().kc,
    "GET",
    `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`,
    { query: { labelSelector: "kubernetes.io/service-name=app-api" } },
  );
  return list.items
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready)
    .map((e) => e.targetRef!.name)
    .sort();
}

/** status.history's figure for the latest revision: seconds from its rollback to the last good one Ready. */
const recoverySeconds = (t: TopologyObject) =>
  (t.status?.history?.at(-1) as { recoverySeconds?: number } | undefined)?.recoverySeconds;
const hashOf = (pod: V1Pod) => pod.metadata!.annotations![ANNOTATION_CONFIG_HASH];
const waitingReasons = (pod: V1Pod) =>
  (pod.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).filter(Boolean);

describe("rollback on the real node", () => {
  let op: OperatorProcess;
  let client: string;
  /** The release that works: its pods and their template hash. */
  let good: { pods: string[]; hash: string };

  /** A GET of api's Service from the client pod, answered by api. */
  const answers = async () => {
    const r = await getFrom(NS, client, "http://app-api:8080/");
    return r.code === 0 && (JSON.parse(r.out) as { node: string }).node === "api";
  };

  /**
   * Applies a bad release and waits until it is rolled back and recovered: the Topology RolledBack (for this
   * generation), api's pods are the good release's only, and the Service sends to them and answers. Returns
   * the Topology and the times from the request, with whether api's new pod was seen in CrashLoopBackOff.
   */
  async function release(env: Record<string, string>, what: string) {
    const requested = Date.now();
    const applied = await applyTopology(topology(NS, "app", spec(env)));
    let rolledBackMs: number | undefined;
    let crashLooped = false;
    let topo: TopologyObject | undefined;
    await waitFor(
      `${what} rolled back and recovered`,
      async () => {
        const t = await readTopology(NS, "app");
        const pods = await nodePods(NS, "app", "api");
        crashLooped ||= pods.some(
          (p) => hashOf(p) !== good.hash && waitingReasons(p).includes("CrashLoopBackOff"),
        );
        if (t.status?.observedGeneration !== applied.metadata!.generation || t.status?.phase !== "RolledBack")
          return false;
        rolledBackMs ??= Date.now() - requested;
        topo = t;
        const back = pods.every((p) => hashOf(p) === good.hash) && pods.every(isPodReady);
        return back && (await servingPods()).join() === good.pods.join() && (await answers());
      },
      (DEADLINE + 90) * 1000,
      250,
    );
    const recoveredMs = Date.now() - requested;
    // The operator's own figure (rollback applied -> the last good revision Ready), written a reconcile later.
    topo = await waitFor(
      "the operator's recovery figure",
      async () => {
        const t = await readTopology(NS, "app");
        return recoverySeconds(t) !== undefined && t;
      },
      15_000,
    ).catch(() => topo);
    return { topo: topo!, rolledBackMs: rolledBackMs!, recoveredMs, crashLooped };
  }

  const report = (name: string, r: Awaited<ReturnType<typeof release>>) => {
    const figures = {
      request_to_rolled_back_s: r.rolledBackMs / 1000,
      request_to_recovered_s: r.recoveredMs / 1000,
      operator_recovery_s: recoverySeconds(r.topo) ?? "unmeasured",
      progress_deadline_s: DEADLINE,
    };
    record(name, figures);
    process.stdout.write(`[real-node] ${name}: ${JSON.stringify(figures)}\n`);
  };

  beforeAll(async () => {
    await requireRealNode();
    await createRealNodeNamespace(NS);
    op = await startOperator({ namespace: NS });
    await applyTopology(topology(NS, "app", spec({ RELEASE: "1" })));
    await waitForPhase(NS, "app", "Ready", 180_000);
    client = (await readyPod(NS, "app", "client")).metadata!.name!;
    const api = await readyPod(NS, "app", "api");
    good = { pods: [api.metadata!.name!], hash: hashOf(api)! };
    await waitFor("api answering through its Service", answers, 60_000, 500);
  });

  afterAll(async () => {
    if (expect.getState().assertionCalls !== expect.getState().numPassingAsserts)
      process.stderr.write(`--- operator logs ---\n${op?.logs().slice(-6000)}\n`);
    await op?.stop();
    await request(kube().kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
  });

  it("rolls back a release whose container exits from the kubelet's CrashLoopBackOff, before the deadline", async () => {
    const r = await release({ RELEASE: "2", EXIT_AFTER: "1ms" }, "the crashing release");
    expect(r.crashLooped).toBe(true);
    // Judged on the pod's failure, not on the deadline.
    expect(r.topo.status!.history!.at(-1)).toMatchObject({
      revision: 2,
      outcome: "RolledBack",
      reason: "CrashLoopBackOff on node api",
    });
    expect(r.topo.status).toMatchObject({ revision: 2, lastGoodRevision: 1 });
    // The previous pod never stopped: the Deployment kept it while the new one crashed, and serves again.
    expect((await nodePods(NS, "app", "api")).map((p) => p.metadata!.name)).toEqual(good.pods);
    report("real-node rollback: container exits (CrashLoopBackOff)", r);
  });

  it("rolls back a release whose readiness fails at the deadline, its pod running but never Ready", async () => {
    let unready: V1Pod | undefined;
    const watch = setInterval(() => {
      void nodePods(NS, "app", "api").then((pods) => {
        unready ??= pods.find(
          (p) =>
            hashOf(p) !== good.hash && p.status?.containerStatuses?.[0]?.state?.running && !isPodReady(p),
        );
      });
    }, 500);
    try {
      const r = await release({ RELEASE: "3", FAIL_HEALTH: "1" }, "the unready release");
      expect(r.topo.status!.history!.at(-1)).toMatchObject({
        revision: 3,
        outcome: "RolledBack",
        reason: `not Ready within ${DEADLINE}s (node api)`,
      });
      expect(r.topo.status).toMatchObject({ revision: 3, lastGoodRevision: 1 });
      // Its container ran (the server was up, only its readiness said no) and was never restarted.
      expect(unready?.metadata?.labels?.[LABEL_NODE]).toBe("api");
      expect(unready!.status!.containerStatuses![0]!.restartCount).toBe(0);
      expect((await nodePods(NS, "app", "api")).map((p) => p.metadata!.name)).toEqual(good.pods);
      report("real-node rollback: readiness fails (deadline)", r);
    } finally {
      clearInterval(watch);
    }
  });
});
