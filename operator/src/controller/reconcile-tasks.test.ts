// reconcile() with task nodes, over the in-memory deps: Jobs gate their dependents, run once per template,
// fail the revision, and are never run again by a rollback.
import type { TopologyStatus } from "../api/schema.ts";
import { fakeCluster, type FakeCluster } from "./fake-deps.ts";
import { reconcile } from "./reconcile.ts";

// postgres; migrate, a task that needs postgres; api, which needs migrate to have run.
const shop = (o: { migrate?: string; api?: string; retries?: number; deadline?: number } = {}) => ({
  nodes: [
    { name: "postgres", image: "postgres:16", ports: [{ name: "pg", port: 5432 }] },
    {
      name: "migrate",
      image: o.migrate ?? "migrate:1",
      command: ["alembic", "upgrade", "head"],
      task: o.retries === undefined ? {} : { retries: o.retries },
      dependsOn: ["postgres"],
    },
    {
      name: "api",
      image: o.api ?? "api:1",
      ports: [{ name: "http", port: 8080 }],
      dependsOn: ["migrate", "postgres"],
    },
  ],
  rollout: { progressDeadlineSeconds: o.deadline ?? 30 },
});

const run = (c: FakeCluster) => reconcile(c.deps, "default", "shop");

/** Reconciles, letting the controllers catch up after each pass, until the Topology is Ready. */
async function converge(c: FakeCluster): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const { phase } = await run(c);
    c.settle();
    if (phase === "Ready") return;
    c.advance(1);
  }
  throw new Error(`not Ready: ${JSON.stringify(c.topology().status?.conditions)}`);
}

const status = (c: FakeCluster): TopologyStatus => c.topology().status!;
const node = (c: FakeCluster, name: string) => status(c).nodes!.find((n) => n.name === name);
const history = (c: FakeCluster) => status(c).history!.map((h) => [h.revision, h.outcome]);
const created = (c: FakeCluster, kind: string) =>
  c.applied.filter((o) => o.kind === kind).map((o) => o.metadata.name);
const jobs = (c: FakeCluster) => created(c, "Job");
const imageOf = (c: FakeCluster, name: string) =>
  (c.child(`Deployment/${name}`)!.spec as { template: { spec: { containers: { image: string }[] } } })
    .template.spec.containers[0]!.image;

interface Case {
  name: string;
  spec?: unknown;
  given?: (c: FakeCluster) => Promise<void>;
  when: (c: FakeCluster) => Promise<unknown>;
  then: (c: FakeCluster) => void | Promise<void>;
}

const cases: Case[] = [
  {
    name: "creates the task's Job only once postgres is Ready, and api's Deployment only once the task succeeded",
    when: async (c) => {
      await run(c);
      expect(created(c, "Deployment")).toEqual(["shop-postgres"]);
      expect(jobs(c)).toEqual([]);
      expect(node(c, "migrate")).toMatchObject({
        phase: "Waiting",
        message: "waiting for postgres to be Ready",
      });
      expect(node(c, "api")).toMatchObject({
        phase: "Waiting",
        message: "waiting for postgres to be Ready and migrate to succeed",
      });
      c.down.add("migrate"); // the Job runs
      c.settle();
      await run(c);
      expect(jobs(c)).toEqual([expect.stringMatching(/^shop-migrate-[0-9a-f]{10}$/)]);
      c.settle();
      await run(c);
      expect(node(c, "migrate")).toMatchObject({ phase: "Running" });
      expect(node(c, "api")).toMatchObject({ phase: "Waiting", message: "waiting for migrate to succeed" });
      expect(created(c, "Deployment")).toEqual(["shop-postgres"]);
      c.down.delete("migrate");
      c.settle();
      await run(c);
    },
    then: (c) => {
      expect(created(c, "Deployment")).toEqual(["shop-postgres", "shop-api"]);
      expect(node(c, "migrate")).toMatchObject({ phase: "Succeeded", message: "succeeded" });
      expect(status(c).history![0]!.tasks).toEqual({ migrate: expect.stringMatching(/^[0-9a-f]{16}$/) });
    },
  },
  {
    name: "does not run an unchanged task again when a later revision changes only api",
    given: (c) => converge(c),
    when: async (c) => {
      c.setSpec(shop({ api: "api:2" }));
      await converge(c);
    },
    then: (c) => {
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "Succeeded"],
      ]);
      expect(jobs(c)).toHaveLength(1);
      expect(imageOf(c, "shop-api")).toBe("api:2");
      expect(node(c, "migrate")).toMatchObject({ phase: "Succeeded", message: "succeeded in revision 1" });
    },
  },
  {
    name: "holds api on its running template while a changed task runs, and rolls it out once the task succeeded",
    given: (c) => converge(c),
    when: async (c) => {
      c.setSpec(shop({ migrate: "migrate:2", api: "api:2" }));
      c.down.add("migrate");
      await run(c);
      c.settle();
      c.advance(60); // past the progress deadline: a running task is bounded by its own timeout
      await run(c);
      expect(imageOf(c, "shop-api")).toBe("api:1");
      expect(node(c, "api")).toMatchObject({ phase: "Waiting", message: "waiting for migrate to succeed" });
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "Progressing"],
      ]);
      c.down.delete("migrate");
      c.settle();
      c.advance(20); // the deadline counts again from the task's success
      await run(c);
      expect(imageOf(c, "shop-api")).toBe("api:2");
      c.settle();
      await run(c);
    },
    then: (c) => {
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "Succeeded"],
      ]);
      expect(jobs(c)).toHaveLength(2);
      expect(status(c).phase).toBe("Ready");
    },
  },
  {
    name: "fails the revision when its task fails, rolls back without running the last good task again, and says the task's log lines",
    given: (c) => converge(c),
    when: async (c) => {
      c.setSpec(shop({ migrate: "migrate:2", api: "api:2" }));
      c.failing.add("migrate");
      c.logs.set("migrate", 'INFO upgrade 41 -> 42\nERROR column "email" already exists\n');
      await run(c);
      c.settle();
      await run(c);
      c.settle();
      await run(c);
    },
    then: (c) => {
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "RolledBack"],
      ]);
      const reason = status(c).history![1]!.reason!;
      expect(reason).toMatch(
        /^BackoffLimitExceeded on node migrate: Job has reached the specified backoff limit/,
      );
      expect(reason).toContain("last log lines of pod shop-migrate-");
      expect(reason).toContain('ERROR column "email" already exists');
      expect(status(c).conditions!.find((x) => x.type === "RolledBack")!.message).toContain(
        'ERROR column "email" already exists',
      );
      expect(c.events.find((e) => e.reason === "TaskFailed")?.message).toContain("ERROR column");
      // api never ran api:2; migrate:1 did not run again; the failed Job stays for its logs.
      expect(c.applied.filter((o) => o.kind === "Deployment" && o.metadata.name === "shop-api")).toHaveLength(
        1,
      );
      expect(jobs(c)).toHaveLength(2);
      expect(c.removed.filter((k) => k.startsWith("Job/"))).toEqual([]);
      expect(status(c).phase).toBe("RolledBack");
      expect(node(c, "migrate")).toMatchObject({ phase: "Succeeded" });
    },
  },
  {
    name: "says why a failed task has no log lines when its node serves none",
    given: (c) => converge(c),
    when: async (c) => {
      c.setSpec(shop({ migrate: "migrate:2" }));
      c.failing.add("migrate");
      await run(c);
      c.settle();
      await run(c);
    },
    then: (c) => {
      expect(status(c).history![1]!.reason).toMatch(
        /; no log lines: the API server could not read pod (shop-migrate-\S+)'s log \(the node of pod \1 serves no logs\)$/,
      );
    },
  },
  {
    name: "marks the task Failed and the Topology Degraded when the revision fails without a rollback",
    spec: { ...shop(), rollout: { progressDeadlineSeconds: 30, autoRollback: false } },
    when: async (c) => {
      c.failing.add("migrate");
      for (let i = 0; i < 4; i++) {
        await run(c);
        c.settle();
      }
    },
    then: (c) => {
      expect(history(c)).toEqual([[1, "Failed"]]);
      expect(status(c).phase).toBe("Degraded");
      expect(node(c, "migrate")).toMatchObject({
        phase: "Failed",
        message: "BackoffLimitExceeded: Job has reached the specified backoff limit (1 attempt failed)",
      });
      expect(node(c, "api")).toMatchObject({ phase: "Waiting" });
      expect(created(c, "Deployment")).toEqual(["shop-postgres"]);
    },
  },
  {
    name: "runs a task again in a new revision when it failed in an earlier one",
    given: async (c) => {
      await converge(c);
      c.setSpec(shop({ migrate: "migrate:2" }));
      c.failing.add("migrate");
      for (let i = 0; i < 3; i++) {
        await run(c);
        c.settle();
      }
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "RolledBack"],
      ]);
    },
    when: async (c) => {
      c.failing.delete("migrate");
      c.setSpec({ ...shop({ migrate: "migrate:2" }), isolation: "none" }); // an edit, the same task
      await converge(c);
    },
    then: (c) => {
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "RolledBack"],
        [3, "Succeeded"],
      ]);
      const failedJob = jobs(c)[1]!;
      expect(c.removed).toContain(`Job/${failedJob}`);
      expect(jobs(c).filter((j) => j === failedJob)).toHaveLength(2); // created again
      expect(node(c, "migrate")).toMatchObject({ phase: "Succeeded", message: "succeeded" });
    },
  },
  {
    name: "keeps a task's Job while a revision in the history ran it, and removes it after",
    spec: shop({ deadline: 30 }),
    given: (c) => converge(c),
    when: async (c) => {
      c.setSpec({ ...shop({ migrate: "migrate:2" }), rollout: { historyLimit: 1 } });
      await converge(c);
    },
    then: (c) => {
      const [first, second] = jobs(c);
      expect(history(c)).toEqual([[2, "Succeeded"]]);
      expect(c.removed).toEqual([`Job/${first}`]);
      expect(c.child(`Job/${second}`)).toBeDefined();
    },
  },
  {
    name: "keeps the last good revision with its own Job only, and a rollback by hand does not run its task again",
    given: async (c) => {
      await converge(c);
      c.setSpec(shop({ migrate: "migrate:2", api: "api:2" }));
      await converge(c);
      c.setSpec(shop({ migrate: "migrate:3", api: "api:3" }));
      await converge(c);
    },
    when: async (c) => {
      expect(c.revisions.get(1)!.filter((o) => o.kind === "Job")).toHaveLength(1);
      expect(c.revisions.get(2)!.filter((o) => o.kind === "Job")).toHaveLength(1);
      // Revision 1's Job is gone (deleted by hand): the rollback still does not run its task again.
      await c.deps.remove({ kind: "Job", metadata: { name: jobs(c)[0]! } });
      c.annotate("topo.dev/rollback-to", "1");
      await run(c);
      c.settle();
      await run(c);
    },
    then: (c) => {
      expect(jobs(c)).toHaveLength(3);
      expect(imageOf(c, "shop-api")).toBe("api:1");
      expect(status(c).phase).toBe("RolledBack");
      expect(status(c).history!.at(-1)).toMatchObject({
        revision: 1,
        trigger: "manual",
        outcome: "Succeeded",
      });
      expect(node(c, "migrate")).toMatchObject({
        phase: "Succeeded",
        image: "migrate:1",
        message: "succeeded; not run again",
      });
    },
  },
];

describe("reconcile with tasks", () => {
  it.each(cases)("$name", async ({ spec, given, when, then }) => {
    const c = fakeCluster(spec ?? shop());
    await given?.(c);
    await when(c);
    await then(c);
  });
});
