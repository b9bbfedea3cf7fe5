// Automatic rollback and dependency order, against a real API server with kwok nodes.
import type { KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { topo } from "../../unit/topo.ts";
import {
  applyTopology,
  counter,
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
} from "./harness.ts";

type Deployment = KubernetesObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
const DEADLINE = 15;
// A pod that asks for more CPU than any node has is never scheduled, so it is never Ready.
const UNSCHEDULABLE = { cpu: "1000", memory: "64Mi" };

describe("rollout", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  beforeAll(async () => {
    ns = await createNamespace("topo-roll");
    op = await startOperator({ namespace: ns.name });
  });
  afterAll(async () => {
    await op?.stop();
    await ns?.remove();
  });

  const web = (apiImage: string, resources?: object) => ({
    nodes: [
      { name: "db", image: "db:1", ports: [{ name: "pg", port: 5432 }] },
      {
        name: "api",
        image: apiImage,
        ports: [{ name: "http", port: 8080 }],
        dependsOn: ["db"],
        ...(resources ? { resources } : {}),
      },
    ],
    rollout: { progressDeadlineSeconds: DEADLINE },
  });

  it("rolls back to the last good revision within the deadline plus 15 seconds, and does not retry it", async () => {
    await applyTopology(topology(ns.name, "web", web("api:1")));
    await waitForPhase(ns.name, "web", "Ready");
    const started = Date.now();
    await applyTopology(topology(ns.name, "web", web("api:2", UNSCHEDULABLE)));
    const t = await waitForPhase(ns.name, "web", "RolledBack", (DEADLINE + 30) * 1000);
    const elapsed = (Date.now() - started) / 1000;
    expect(elapsed).toBeLessThan(DEADLINE + 15);
    expect(t.status!.conditions!.find((c) => c.type === "RolledBack")).toMatchObject({
      status: "True",
      message: expect.stringMatching(/revision 2 failed: .*node api.*rolled back to revision 1/),
    });
    expect(t.status).toMatchObject({ revision: 2, lastGoodRevision: 1 });
    // Events follow the status write: wait for the first rather than race it.
    await waitFor("the RolledBack event", async () =>
      (await events(ns.name, "web")).some((e) => e.reason === "RolledBack"),
    );
    const rolled = (await events(ns.name, "web")).filter((e) => e.reason === "RolledBack");
    expect(rolled).toEqual([
      expect.objectContaining({
        type: "Warning",
        message: expect.stringContaining("revision 2 failed on node api"),
      }),
    ]);
    const deployments = (await listOwned(ns.name, "Deployment", "apps/v1", "web")) as Deployment[];
    expect(
      deployments.find((d) => d.metadata!.name === "web-api")!.spec.template.spec.containers[0]!.image,
    ).toBe("api:1");
    // Metrics: one rollback, and its time from the deadline to every node Ready on revision 1 again (the
    // pods of api:1 a moment after the RolledBack status), under 15 s.
    const metrics = await waitFor("the automatic recovery measured", async () => {
      const m = await op.metrics();
      return counter(m, "topo_recovery_seconds_count", 'trigger="automatic"') > 0 && m;
    });
    expect(counter(metrics, "topo_rollbacks_total")).toBe(1);
    expect(counter(metrics, "topo_recovery_seconds_count", 'trigger="automatic"')).toBe(1);
    expect(counter(metrics, "topo_recovery_seconds_bucket", 'le="15",trigger="automatic"')).toBe(1);
    const measured = (await readTopology(ns.name, "web")).status!.history!.at(-1) as {
      recoverySeconds?: number;
    };
    expect(measured.recoverySeconds).toBeLessThan(15);
    // The user's spec is untouched, and the failed revision is not tried again.
    expect(((await readTopology(ns.name, "web")).spec.nodes as { image: string }[])[1]!.image).toBe("api:2");
    await waitForPhase(ns.name, "web", "RolledBack");
    await new Promise((r) => setTimeout(r, 5000));
    const later = await readTopology(ns.name, "web");
    expect(later.status!.history!.map((h) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [2, "RolledBack"],
    ]);
    // topo plan of that same spec says what applying it does: nothing, the children stay on revision 1.
    const run = await topo(
      ["plan", "-", "-n", ns.name, "-o", "json"],
      stringify(topology(ns.name, "web", web("api:2", UNSCHEDULABLE))),
      {
        env: { KUBECONFIG: process.env.KUBECONFIG! },
      },
    );
    expect(run.code === 0 ? "exit 0" : run.stderr).toBe("exit 0");
    const planned = (
      JSON.parse(run.stdout) as {
        plans: { nodes: { name: string; verdict: string }[]; revision: unknown; notes: string[] }[];
      }
    ).plans[0]!;
    expect(planned.nodes.map((n) => [n.name, n.verdict])).toEqual([
      ["db", "unchanged"],
      ["api", "unchanged"],
    ]);
    expect(planned.revision).toEqual({ current: 2, next: 2, new: false });
    expect(planned.notes).toEqual(
      expect.arrayContaining([
        expect.stringContaining("revision 2 was rolled back and the children run revision 1"),
      ]),
    );
  });

  it("with historyLimit 1, rolls a bad revision back to the good one and then holds still", async () => {
    const limited = (apiImage: string, resources?: object) => ({
      ...web(apiImage, resources),
      rollout: { progressDeadlineSeconds: DEADLINE, historyLimit: 1 },
    });
    await applyTopology(topology(ns.name, "limited", limited("api:1")));
    await waitForPhase(ns.name, "limited", "Ready");
    await applyTopology(topology(ns.name, "limited", limited("api:2", UNSCHEDULABLE)));
    const t = await waitForPhase(ns.name, "limited", "RolledBack", (DEADLINE + 30) * 1000);
    const outcomes = (o: typeof t) => o.status!.history!.map((h) => [h.revision, h.outcome]);
    // The revision in flight is kept beside the last good one, which the rollback needs.
    expect(outcomes(t)).toEqual([
      [1, "Succeeded"],
      [2, "RolledBack"],
    ]);
    expect(t.status).toMatchObject({ revision: 2, lastGoodRevision: 1 });
    const deployments = (await listOwned(ns.name, "Deployment", "apps/v1", "limited")) as Deployment[];
    expect(
      deployments.find((d) => d.metadata!.name === "limited-api")!.spec.template.spec.containers[0]!.image,
    ).toBe("api:1");
    expect(
      (await listOwned(ns.name, "ControllerRevision", "apps/v1", "limited")).map((r) => r.metadata!.name),
    ).toEqual(["limited-r1"]);
    // Stable: past another deadline, the same outcome, and revision 2 was started once (with the history
    // trimmed to the revision in flight it restarted on every reconcile and never rolled back).
    await new Promise((r) => setTimeout(r, (DEADLINE + 5) * 1000));
    const later = await readTopology(ns.name, "limited");
    expect(later.status!.phase).toBe("RolledBack");
    expect(outcomes(later)).toEqual(outcomes(t));
    const started = (await events(ns.name, "limited")).filter((e) => e.reason === "RolloutStarted");
    expect(started.map((e) => e.message).sort()).toEqual([
      "revision 1 is rolling out",
      "revision 2 is rolling out",
    ]);
  });

  it("starts a node only after the nodes it depends on are Ready, and says what it waits for", async () => {
    const spec = (dbResources?: object) => ({
      nodes: [
        {
          name: "db",
          image: "db:1",
          ports: [{ name: "pg", port: 5432 }],
          ...(dbResources ? { resources: dbResources } : {}),
        },
        { name: "api", image: "api:1", ports: [{ name: "http", port: 8080 }], dependsOn: ["db"] },
      ],
    });
    await applyTopology(topology(ns.name, "order", spec(UNSCHEDULABLE)));
    const waiting = await waitFor("api Waiting on db", async () => {
      const t = await readTopology(ns.name, "order");
      return t.status?.nodes?.find((n) => n.name === "api" && n.phase === "Waiting") ? t : undefined;
    });
    expect(waiting.status!.nodes!.find((n) => n.name === "api")!.message).toBe("waiting for db to be Ready");
    expect((await listOwned(ns.name, "Deployment", "apps/v1", "order")).map((d) => d.metadata!.name)).toEqual(
      ["order-db"],
    );
    const waitingEvent = await waitFor("the NodeWaiting event", async () =>
      (await events(ns.name, "order")).find((e) => e.reason === "NodeWaiting"),
    );
    expect(waitingEvent.message).toContain("node api is");
    await applyTopology(topology(ns.name, "order", spec()));
    await waitForPhase(ns.name, "order", "Ready");
    const { objects } = kube();
    const created = async (name: string) =>
      Date.parse(
        String(
          (
            await objects.read({
              apiVersion: "apps/v1",
              kind: "Deployment",
              metadata: { name, namespace: ns.name },
            })
          ).metadata!.creationTimestamp,
        ),
      );
    expect(await created("order-api")).toBeGreaterThanOrEqual(await created("order-db"));
  });

  it("marks a Topology that got past admission but breaks a rule InvalidSpec and applies nothing", async () => {
    await applyTopology(
      topology(ns.name, "broken", { nodes: [{ name: "api", image: "api:1", dependsOn: ["nowhere"] }] }),
    );
    const t = await waitForPhase(ns.name, "broken", "Invalid");
    expect(t.status!.conditions!.find((c) => c.type === "InvalidSpec")).toMatchObject({
      status: "True",
      message: expect.stringContaining('spec.nodes[0].dependsOn[0]: unknown node "nowhere"'),
    });
    expect(await listOwned(ns.name, "Deployment", "apps/v1", "broken")).toEqual([]);
    // The Event follows the status write: wait for it rather than race it.
    const reasons = await waitFor("the InvalidSpec event", async () => {
      const r = (await events(ns.name, "broken")).map((e) => e.reason);
      return r.includes("InvalidSpec") && r;
    });
    expect(reasons).toContain("InvalidSpec");
    // A rollback by hand of an invalid Topology is refused at once, and the annotation is not set.
    const r = await topo(["rollback", "broken", "-n", ns.name, "--to", "1"], "", {
      env: { KUBECONFIG: process.env.KUBECONFIG! },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /broken is Invalid \(.*unknown node "nowhere".*\): the operator applies nothing/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(
      (await readTopology(ns.name, "broken")).metadata!.annotations?.["topo.dev/rollback-to"],
    ).toBeUndefined();
  });
});
