// Task nodes against a real API server with kwok nodes: a Job per task gates its dependents, is not run
// again when unchanged, and fails the revision (rolled back) when it fails or runs past its timeout. kwok
// completes a Job's pod at once; TOPO_KWOK_RUN_FOR and TOPO_KWOK_EXIT_CODE (hack/kwok/stages.yaml) make it
// run longer or fail. kwok's nodes serve no logs, so a failure here says why it has no log lines.
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  applyTopology,
  createNamespace,
  events,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "./harness.ts";

type Job = KubernetesObject & {
  spec: { template: { spec: { containers: { image: string }[] } } };
  status?: { startTime?: string; completionTime?: string; failed?: number };
};
type Deployment = KubernetesObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
type Pod = KubernetesObject & { status?: { conditions?: { type: string; lastTransitionTime: string }[] } };

const kwokEnv = (env: Record<string, string>) =>
  Object.entries(env).map(([name, value]) => ({ name, value }));

const shop = (o: { migrate?: string; api?: string; task?: object; env?: Record<string, string> } = {}) => ({
  nodes: [
    { name: "db", image: "db:1", ports: [{ name: "pg", port: 5432 }] },
    {
      name: "migrate",
      image: o.migrate ?? "migrate:1",
      command: ["alembic", "upgrade", "head"],
      task: o.task ?? {},
      env: kwokEnv(o.env ?? { TOPO_KWOK_RUN_FOR: "3s" }),
      dependsOn: ["db"],
    },
    { name: "api", image: o.api ?? "api:1", ports: [{ name: "http", port: 8080 }], dependsOn: ["migrate"] },
  ],
  rollout: { progressDeadlineSeconds: 30 },
});

const time = (t: string | undefined) => Date.parse(t ?? "");

describe("task nodes", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  const jobs = async () => (await listOwned(ns.name, "Job", "batch/v1", "shop")) as Job[];
  const deployment = async (name: string) =>
    ((await listOwned(ns.name, "Deployment", "apps/v1", "shop")) as Deployment[]).find(
      (d) => d.metadata!.name === name,
    );
  const nodeStatus = async (name: string) =>
    (await readTopology(ns.name, "shop")).status?.nodes?.find((n) => n.name === name);

  beforeAll(async () => {
    ns = await createNamespace("topo-task");
    op = await startOperator({ namespace: ns.name });
  });
  afterAll(async () => {
    await op?.stop();
    await ns?.remove();
  });

  it("runs the task after db is Ready and starts api only after the task succeeded", async () => {
    await applyTopology(topology(ns.name, "shop", shop()));
    const seen = await waitFor(
      "migrate Running",
      async () => (await nodeStatus("migrate"))?.phase === "Running" && (await nodeStatus("api")),
    );
    expect(seen).toMatchObject({ phase: "Waiting", message: "waiting for migrate to succeed" });
    expect(await deployment("shop-api")).toBeUndefined();
    const t = await waitForPhase(ns.name, "shop", "Ready");
    expect(t.status!.nodes!.find((n) => n.name === "migrate")).toMatchObject({
      phase: "Succeeded",
      message: "succeeded",
    });

    const [job, ...more] = await jobs();
    expect(more).toEqual([]);
    expect(job!.metadata!.name).toMatch(/^shop-migrate-[0-9a-f]{10}$/);
    const dbPod = (await listOwned(ns.name, "Pod", "v1", "shop")).find(
      (p) => p.metadata!.labels!["topo.dev/node"] === "db",
    ) as Pod;
    const dbReady = time(dbPod.status!.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime);
    const apiCreated = time((await deployment("shop-api"))!.metadata!.creationTimestamp as unknown as string);
    // Timestamps of the API server, whole seconds: the Job after db was Ready, api after the Job completed,
    // which ran its 3 s first.
    expect(time(job!.metadata!.creationTimestamp as unknown as string)).toBeGreaterThanOrEqual(dbReady);
    expect(time(job!.status!.completionTime) - time(job!.status!.startTime)).toBeGreaterThanOrEqual(2000);
    expect(apiCreated).toBeGreaterThanOrEqual(time(job!.status!.completionTime));
  });

  it("does not run the unchanged task again on a revision that changes only api", async () => {
    const [before] = await jobs();
    await applyTopology(topology(ns.name, "shop", shop({ api: "api:2" })));
    const t = await waitFor("revision 2 Ready", async () => {
      const x = await readTopology(ns.name, "shop");
      return x.status?.phase === "Ready" && x.status.revision === 2 && x;
    });
    expect(t.status!.nodes!.find((n) => n.name === "migrate")).toMatchObject({
      phase: "Succeeded",
      message: "succeeded in revision 1",
    });
    const after = await jobs();
    expect(after.map((j) => j.metadata!.uid)).toEqual([before!.metadata!.uid]);
    expect((await deployment("shop-api"))!.spec.template.spec.containers[0]!.image).toBe("api:2");
  });

  it("fails the revision when the task fails after its retries and rolls back without running revision 2's task again", async () => {
    const [good] = await jobs();
    await applyTopology(
      topology(
        ns.name,
        "shop",
        shop({ migrate: "migrate:2", api: "api:3", task: { retries: 1 }, env: { TOPO_KWOK_EXIT_CODE: "1" } }),
      ),
    );
    const t = await waitForPhase(ns.name, "shop", "RolledBack", 90_000);
    const message = t.status!.conditions!.find((c) => c.type === "RolledBack")!.message;
    expect(message).toMatch(
      /^revision 3 failed: BackoffLimitExceeded on node migrate: Job has reached the specified backoff limit \(2 attempts failed\); no log lines: the API server could not read pod shop-migrate-\S+'s log \(.+\); rolled back to revision 2$/s,
    );
    expect(t.status).toMatchObject({ revision: 3, lastGoodRevision: 2 });
    expect(t.status!.nodes!.find((n) => n.name === "migrate")).toMatchObject({
      phase: "Succeeded",
      image: "migrate:1",
    });
    // api never ran api:3; revision 2's Job is the one that ran then; the failed Job stays for its logs.
    expect((await deployment("shop-api"))!.spec.template.spec.containers[0]!.image).toBe("api:2");
    const all = await jobs();
    expect(all).toHaveLength(2);
    const kept = all.find((j) => j.metadata!.uid === good!.metadata!.uid)!;
    expect(kept.status!.completionTime).toBe(good!.status!.completionTime);
    expect(all.find((j) => j !== kept)!.status!.failed).toBe(2);
    await waitFor("the TaskFailed event", async () =>
      (await events(ns.name, "shop")).some(
        (e) => e.reason === "TaskFailed" && e.message.includes("task migrate failed: Job has reached"),
      ),
    );
  });

  it("fails the revision when the task runs past its timeout", async () => {
    await applyTopology(
      topology(
        ns.name,
        "shop",
        shop({ migrate: "migrate:3", task: { timeout: "3s" }, env: { TOPO_KWOK_RUN_FOR: "1h" } }),
      ),
    );
    const t = await waitFor(
      "revision 4 rolled back",
      async () => {
        const x = await readTopology(ns.name, "shop");
        return x.status?.phase === "RolledBack" && x.status.revision === 4 && x;
      },
      90_000,
    );
    expect(t.status!.history!.find((h) => h.revision === 4)).toMatchObject({
      outcome: "RolledBack",
      reason: expect.stringMatching(
        /^DeadlineExceeded on node migrate: Job was active longer than specified deadline/,
      ),
    });
    expect((await deployment("shop-api"))!.spec.template.spec.containers[0]!.image).toBe("api:2");
  });
});
