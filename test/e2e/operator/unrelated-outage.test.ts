// An outage of a node a change did not touch, against a real API server with kwok nodes: the change to api
// succeeds while postgres is down, the Topology is Degraded naming postgres, nothing is rolled back, and it is
// Ready again once postgres is.
import type { KubernetesObject } from "@kubernetes/client-node";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  createNamespace,
  events,
  kube,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
  type TopologyObject,
} from "./harness.ts";

type Deployment = KubernetesObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
const DEADLINE = 15;
const messageOf = (t: TopologyObject) => (t.status as { message?: string } | undefined)?.message;
/** Tells the kwok stage that makes running pods Ready again (hack/kwok/stages.yaml) to leave this pod. */
const KEEP_NOT_READY = "topo.dev/kwok-keep-not-ready";

const shop = (apiImage: string) => ({
  nodes: [
    { name: "postgres", image: "postgres:16", ports: [{ name: "pg", port: 5432 }] },
    { name: "api", image: apiImage, ports: [{ name: "http", port: 8080 }], dependsOn: ["postgres"] },
  ],
  rollout: { progressDeadlineSeconds: DEADLINE },
});

/**
 * Marks the pods of a node Ready or not, as the node lifecycle controller does when their Kubernetes node
 * stops renewing its lease (Ready=False, reason NodeNotReady) and as the kubelet does when it is back.
 */
async function setPodsReady(namespace: string, node: string, ready: boolean): Promise<number> {
  const { kc } = kube();
  const pods = await request<{ items: KubernetesObject[] }>(kc, "GET", resourcePath("v1", "Pod", namespace), {
    query: { labelSelector: `topo.dev/topology=shop,topo.dev/node=${node}` },
  });
  for (const pod of pods.items) {
    const path = `${resourcePath("v1", "Pod", namespace)}/${pod.metadata!.name}`;
    const merge = { contentType: "application/merge-patch+json" };
    if (!ready)
      await request(kc, "PATCH", path, {
        ...merge,
        body: { metadata: { annotations: { [KEEP_NOT_READY]: "1" } } },
      });
    const condition = ready
      ? { type: "Ready", status: "True" }
      : {
          type: "Ready",
          status: "False",
          reason: "NodeNotReady",
          message: "the node stopped posting status",
        };
    await request(kc, "PATCH", `${path}/status`, {
      contentType: "application/strategic-merge-patch+json",
      body: { status: { conditions: [{ ...condition, lastTransitionTime: new Date().toISOString() }] } },
    });
    if (ready)
      await request(kc, "PATCH", path, {
        ...merge,
        body: { metadata: { annotations: { [KEEP_NOT_READY]: null } } },
      });
  }
  return pods.items.length;
}

describe("an outage of a node the change did not touch", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  beforeAll(async () => {
    ns = await createNamespace("topo-outage");
    op = await startOperator({ namespace: ns.name });
  });
  afterAll(async () => {
    await op?.stop();
    await ns?.remove();
  });

  it("lets a change to api succeed while postgres is down, names postgres in Degraded, never rolls back, and is Ready once postgres is back", async () => {
    await applyTopology(topology(ns.name, "shop", shop("api:1")));
    await waitForPhase(ns.name, "shop", "Ready");

    expect(await setPodsReady(ns.name, "postgres", false)).toBe(1);
    const down = await waitForPhase(ns.name, "shop", "Degraded");
    expect(messageOf(down)).toBe("not Ready: postgres");
    expect(down.status!.history!.map((h) => [h.revision, h.outcome])).toEqual([[1, "Succeeded"]]);

    // Every status seen from the change on: none may say RolledBack.
    const seen: TopologyObject["status"][] = [];
    const observe = async () => {
      const t = await readTopology(ns.name, "shop");
      seen.push(t.status);
      return t;
    };
    await applyTopology(topology(ns.name, "shop", shop("api:2")));
    const judged = await waitFor("revision 2 to be judged", async () => {
      const t = await observe();
      const r2 = t.status?.history?.find((h) => h.revision === 2);
      return r2 && r2.outcome !== "Progressing" ? t : undefined;
    });
    expect(judged.status!.history!.map((h) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [2, "Succeeded"],
    ]);
    const api = (await listOwned(ns.name, "Deployment", "apps/v1", "shop")).find(
      (d) => d.metadata!.name === "shop-api",
    ) as Deployment;
    expect(api.spec.template.spec.containers[0]!.image).toBe("api:2");

    // Past the revision's deadline, postgres still down: still Succeeded, Degraded naming postgres.
    const started = Date.now();
    await waitFor(
      "the progress deadline to pass",
      async () => (await observe()) && Date.now() - started > (DEADLINE + 5) * 1000,
      (DEADLINE + 30) * 1000,
      500,
    );
    const later = await readTopology(ns.name, "shop");
    expect(later.status).toMatchObject({ phase: "Degraded", revision: 2, lastGoodRevision: 2 });
    expect(messageOf(later)).toBe("not Ready: postgres");
    expect(later.status!.conditions!.find((c) => c.type === "Degraded")).toMatchObject({
      status: "True",
      reason: "NodesNotReady",
      message: "not Ready: postgres",
    });
    expect(later.status!.conditions!.find((c) => c.type === "RolledBack")!.status).toBe("False");
    expect(later.status!.nodes!.map((n) => [n.name, n.phase])).toEqual([
      ["postgres", "Degraded"],
      ["api", "Ready"],
    ]);
    expect(later.status!.history!.map((h) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [2, "Succeeded"],
    ]);
    expect(seen.filter((s) => s?.phase === "RolledBack")).toEqual([]);
    expect((await events(ns.name, "shop")).map((e) => e.reason)).not.toContain("RolledBack");

    // postgres is back: Ready, with the Event that says so.
    expect(await setPodsReady(ns.name, "postgres", true)).toBe(1);
    const back = await waitForPhase(ns.name, "shop", "Ready");
    expect(messageOf(back)).toBeUndefined();
    expect(back.status!.conditions!.find((c) => c.type === "Degraded")!.status).toBe("False");
    await waitFor("the Ready event", async () =>
      (await events(ns.name, "shop")).some(
        (e) => e.reason === "Ready" && e.message === "all nodes are Ready again at revision 2",
      ),
    );
  });
});
