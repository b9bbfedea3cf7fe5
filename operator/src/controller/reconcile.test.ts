import pLimit from "p-limit";
import type { TopologyStatus } from "../api/schema.ts";
import { Invalid } from "../kube/errors.ts";
import { fakeCluster, type FakeCluster } from "./fake-deps.ts";
import { APPLY_CONCURRENCY, reconcile } from "./reconcile.ts";

// postgres, and api that depends on it (so api waits for postgres, and api's TOPO_PEERS names it).
const shop = (apiImage = "api:1", rollout: Record<string, unknown> = {}) => ({
  nodes: [
    { name: "postgres", image: "postgres:16", ports: [{ name: "pg", port: 5432 }] },
    { name: "api", image: apiImage, ports: [{ name: "http", port: 8080 }], dependsOn: ["postgres"] },
  ],
  rollout: { progressDeadlineSeconds: 30, ...rollout },
});

const run = (c: FakeCluster) => reconcile(c.deps, "default", "shop");

/** Reconciles, letting the Deployments catch up after each pass, until the Topology is Ready. */
async function converge(c: FakeCluster): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const { phase } = await run(c);
    c.settle();
    if (phase === "Ready") return;
    c.advance(1);
  }
  throw new Error(`not Ready: ${JSON.stringify(c.topology().status?.conditions)}`);
}

const status = (c: FakeCluster): TopologyStatus => c.topology().status!;
const condition = (c: FakeCluster, type: string) => status(c).conditions!.find((x) => x.type === type);
const history = (c: FakeCluster) => status(c).history!.map((h) => [h.revision, h.outcome]);
const deployments = (c: FakeCluster) =>
  c.applied.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name);
const imageOf = (c: FakeCluster, name: string) =>
  (c.child(`Deployment/${name}`)!.spec as { template: { spec: { containers: { image: string }[] } } })
    .template.spec.containers[0]!.image;
const reasons = (c: FakeCluster) => c.events.map((e) => e.reason);

interface Case {
  name: string;
  spec?: unknown;
  /** What happened before the reconcile under test. */
  given?: (c: FakeCluster) => Promise<void>;
  /** The reconciles under test; returns what they threw, if anything. */
  when: (c: FakeCluster) => Promise<unknown>;
  then: (c: FakeCluster, thrown: unknown) => void | Promise<void>;
}

const invalid = new Invalid('Deployment.apps "shop-postgres" is invalid: spec.replicas: must be >= 0', 422, {
  reason: "Invalid",
});

const cases: Case[] = [
  {
    name: "does not apply a node's Deployment until the nodes it dependsOn are Ready",
    when: async (c) => {
      await run(c);
      expect(deployments(c)).toEqual(["shop-postgres"]);
      expect(status(c).nodes!.find((n) => n.name === "api")).toMatchObject({
        phase: "Waiting",
        message: "waiting for postgres to be Ready",
      });
      c.settle();
      await run(c);
    },
    then: (c) => {
      expect(deployments(c)).toEqual(["shop-postgres", "shop-api"]);
      expect(c.child("Service/shop-api")).toBeDefined();
    },
  },
  {
    name: "removes the children of a node the spec no longer has, and only those",
    given: async (c) => {
      await converge(c);
      c.setSpec({ nodes: [shop().nodes[0]] });
    },
    when: (c) => run(c),
    then: (c) => {
      expect(c.removed).toEqual(expect.arrayContaining(["Deployment/shop-api", "Service/shop-api"]));
      expect(c.removed.filter((k) => k.endsWith("shop-postgres"))).toEqual([]);
      expect(c.child("Deployment/shop-api")).toBeUndefined();
      expect(c.child("Deployment/shop-postgres")).toBeDefined();
    },
  },
  {
    name: "writes nothing to a Topology being deleted, though its spec changed (garbage collection removes the children)",
    given: async (c) => {
      await converge(c);
      c.setSpec(shop("api:2"));
      c.topology().metadata.deletionTimestamp = c.now().toISOString();
    },
    when: async (c) => {
      c.applied.length = 0;
      c.statusWrites.length = 0;
      c.events.length = 0;
      return run(c);
    },
    then: (c, result) => {
      expect(result).toEqual({});
      expect(c.applied).toEqual([]);
      expect(c.statusWrites).toEqual([]);
      expect(c.events).toEqual([]);
      expect(c.removed).toEqual([]);
    },
  },
  {
    name: "reports a failed apply as Degraded with ApplyFailed and rethrows the very error the API server gave",
    given: async (c) => c.failApply("Deployment/shop-postgres", invalid),
    when: (c) =>
      run(c).then(
        () => undefined,
        (err: unknown) => err,
      ),
    then: (c, thrown) => {
      expect(thrown).toBe(invalid);
      expect(status(c).phase).toBe("Degraded");
      expect(condition(c, "Degraded")).toMatchObject({
        status: "True",
        reason: "ApplyFailed",
        message: expect.stringContaining(
          'applying Deployment/shop-postgres: Deployment.apps "shop-postgres" is',
        ),
      });
      expect(c.removed).toEqual([]);
    },
  },
  {
    name: "applies the last good revision's objects once a revision is not Ready by its deadline",
    given: async (c) => {
      await converge(c);
      c.setSpec(shop("api:2"));
      c.down.add("api"); // api:2 never becomes Ready
    },
    when: async (c) => {
      await run(c);
      c.settle();
      c.advance(31);
      await run(c);
    },
    then: (c) => {
      expect(status(c)).toMatchObject({ phase: "RolledBack", revision: 2, lastGoodRevision: 1 });
      expect(imageOf(c, "shop-api")).toBe("api:1");
      expect(c.applied.filter((o) => o.metadata.name === "shop-api" && o.kind === "Deployment").length).toBe(
        3,
      );
      expect(c.events.find((e) => e.reason === "RolledBack")?.message).toBe(
        "revision 2 failed on node api (ProgressDeadlineExceeded); rolled back to revision 1",
      );
    },
  },
  {
    name: "rolls back before the deadline when a pod of the node the revision changed is crash-looping",
    given: async (c) => {
      await converge(c);
      c.setSpec(shop("api:2"));
      c.down.add("api");
    },
    when: async (c) => {
      await run(c);
      c.crashLoop("api");
      await run(c);
    },
    then: (c) => {
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "RolledBack"],
      ]);
      expect(imageOf(c, "shop-api")).toBe("api:1");
    },
  },
  {
    name: "with historyLimit 1, keeps the failed revision beside the last good one, rolls back, and then holds still",
    spec: shop("api:1", { historyLimit: 1 }),
    given: async (c) => {
      await converge(c);
      c.setSpec(shop("api:2", { historyLimit: 1 }));
      c.down.add("api");
    },
    when: async (c) => {
      await run(c);
      c.settle();
      c.advance(10);
      await run(c);
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "Progressing"],
      ]);
      c.advance(21);
      await run(c);
    },
    then: async (c) => {
      expect(status(c).phase).toBe("RolledBack");
      expect(imageOf(c, "shop-api")).toBe("api:1");
      expect(c.revisions.has(1)).toBe(true);
      // api:1 runs again; from then on, nothing to write and no rollout started again.
      c.down.delete("api");
      c.settle();
      await run(c);
      const writes = c.statusWrites.length;
      c.advance(120);
      await run(c);
      expect(c.statusWrites.length).toBe(writes);
      expect(status(c).phase).toBe("RolledBack");
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "RolledBack"],
      ]);
      expect(reasons(c).filter((r) => r === "RolloutStarted")).toHaveLength(2);
    },
  },
  {
    name: "succeeds a change to api while postgres, which it did not change, is down, and names postgres",
    given: async (c) => {
      await converge(c);
      c.down.add("postgres");
      c.settle();
      c.setSpec(shop("api:2"));
    },
    when: async (c) => {
      await run(c);
      c.settle();
      await run(c);
      c.advance(31);
      await run(c);
    },
    then: (c) => {
      expect(history(c)).toEqual([
        [1, "Succeeded"],
        [2, "Succeeded"],
      ]);
      expect(status(c)).toMatchObject({
        phase: "Degraded",
        lastGoodRevision: 2,
        message: "not Ready: postgres",
      });
      expect(condition(c, "RolledBack")?.status).toBe("False");
      expect(imageOf(c, "shop-api")).toBe("api:2");
      expect(reasons(c)).not.toContain("RolledBack");
    },
  },
  {
    name: "marks an invalid spec InvalidSpec with one Event and applies nothing",
    spec: { nodes: [{ name: "api", image: "api:1", dependsOn: ["nowhere"] }] },
    when: async (c) => {
      await run(c);
      await run(c);
    },
    then: (c) => {
      expect(status(c).phase).toBe("Invalid");
      expect(condition(c, "InvalidSpec")).toMatchObject({
        status: "True",
        message: expect.stringContaining('unknown node "nowhere"'),
      });
      expect(c.events).toEqual([expect.objectContaining({ type: "Warning", reason: "InvalidSpec" })]);
      expect(c.applied).toEqual([]);
      expect(c.statusWrites.length).toBe(1);
    },
  },
  {
    name: "writes no status and applies nothing when nothing changed",
    given: (c) => converge(c),
    when: async (c) => {
      const before = { writes: c.statusWrites.length, applied: c.applied.length, events: c.events.length };
      c.advance(600);
      await run(c);
      return before;
    },
    then: (c, before) => {
      expect({ writes: c.statusWrites.length, applied: c.applied.length, events: c.events.length }).toEqual(
        before,
      );
    },
  },
  {
    name: "stamps what it writes with the time deps.now() gives, not the machine's clock",
    when: (c) => converge(c),
    then: (c) => {
      const start = Date.parse("2030-01-02T03:04:05Z");
      const times = [
        ...status(c).history!.map((h) => h.at),
        ...status(c).conditions!.map((x) => x.lastTransitionTime),
      ].map((t) => Date.parse(t));
      expect(Math.min(...times)).toBe(start);
      expect(Math.max(...times)).toBeLessThanOrEqual(c.now().getTime());
    },
  },
];

// Revisions 1 (api:1), 2 (api:2) and 3 (api:3), each Ready in turn: 3 runs, 1 and 2 are kept.
async function threeReleases(c: FakeCluster, rollout: Record<string, unknown> = {}): Promise<void> {
  for (const image of ["api:1", "api:2", "api:3"]) {
    if (image !== "api:1") c.setSpec(shop(image, rollout));
    await converge(c);
  }
}

/** Reconciles and lets the Deployments catch up, `times` times, a second apart. */
async function settleRuns(c: FakeCluster, times = 3): Promise<void> {
  for (let i = 0; i < times; i++) {
    await run(c);
    c.settle();
    c.advance(1);
  }
  await run(c);
}

const ROLLBACK_TO = "topo.dev/rollback-to";
const last = (c: FakeCluster) => status(c).history!.at(-1)!;

const manualCases: Case[] = [
  {
    name: "rolls back by hand to a kept revision: its images on every node it changed, RolledBack with ManualRollback",
    given: (c) => threeReleases(c),
    when: async (c) => {
      c.annotate(ROLLBACK_TO, "1");
      await run(c);
      expect(status(c)).toMatchObject({ phase: "RolledBack", revision: 1, lastGoodRevision: 3 });
      expect(last(c)).toMatchObject({ revision: 1, trigger: "manual", from: 3, outcome: "Progressing" });
      c.advance(2);
      c.settle();
      await run(c);
    },
    then: (c) => {
      expect(imageOf(c, "shop-api")).toBe("api:1");
      expect(imageOf(c, "shop-postgres")).toBe("postgres:16");
      expect(status(c)).toMatchObject({ phase: "RolledBack", revision: 1, lastGoodRevision: 1 });
      expect(condition(c, "RolledBack")).toMatchObject({ status: "True", reason: "ManualRollback" });
      expect(condition(c, "Pinned")).toMatchObject({ status: "True", reason: "ManualRollback" });
      expect(last(c)).toMatchObject({ outcome: "Succeeded", recoverySeconds: 2 });
      expect(c.recoveries).toEqual([{ seconds: 2, trigger: "manual" }]);
      expect(c.events.find((e) => e.reason === "ManualRollback")?.message).toBe(
        "rolling back by hand from revision 3 to revision 1 (topo.dev/rollback-to); pinned until the annotation is removed",
      );
      expect(reasons(c)).toContain("Recovered");
      // The user's spec is never modified.
      expect((c.topology().spec as { nodes: { image: string }[] }).nodes[1]!.image).toBe("api:3");
    },
  },
  {
    name: "holds the pinned revision when the spec changes, naming the generation it holds back",
    given: async (c) => {
      await threeReleases(c);
      c.annotate(ROLLBACK_TO, "1");
      await settleRuns(c);
      c.setSpec(shop("api:4"));
    },
    when: (c) => settleRuns(c),
    then: (c) => {
      expect(imageOf(c, "shop-api")).toBe("api:1");
      expect(status(c)).toMatchObject({ phase: "RolledBack", revision: 1, observedGeneration: 4 });
      expect(condition(c, "Pinned")?.message).toBe(
        "pinned to revision 1 by topo.dev/rollback-to: generation 4 of the spec is held, not rolled out, until the annotation is removed",
      );
      expect(c.events.filter((e) => e.reason === "SpecHeld")).toHaveLength(1);
      expect(reasons(c).filter((r) => r === "RolloutStarted")).toHaveLength(3);
    },
  },
  {
    name: "rolls forward to the spec as a new revision once the annotation is removed",
    given: async (c) => {
      await threeReleases(c);
      c.annotate(ROLLBACK_TO, "1");
      await settleRuns(c);
      c.setSpec(shop("api:4"));
      await settleRuns(c);
    },
    when: async (c) => {
      c.annotate(ROLLBACK_TO, undefined);
      await converge(c);
    },
    then: (c) => {
      expect(imageOf(c, "shop-api")).toBe("api:4");
      expect(status(c)).toMatchObject({ phase: "Ready", revision: 4, lastGoodRevision: 4 });
      expect(condition(c, "Pinned")).toMatchObject({ status: "False", reason: "NotPinned" });
      expect(c.events.find((e) => e.reason === "Released")?.message).toBe(
        "topo.dev/rollback-to removed: rolling forward to the spec (revision 4)",
      );
      expect(history(c).slice(-2)).toEqual([
        [1, "Succeeded"],
        [4, "Succeeded"],
      ]);
    },
  },
  {
    name: "refuses a revision no longer kept with a status message and one Event, and changes nothing",
    spec: shop("api:1", { historyLimit: 2 }),
    given: (c) => threeReleases(c, { historyLimit: 2 }),
    when: async (c) => {
      const before = { applied: c.applied.length, revisions: [...c.revisions.keys()] };
      c.annotate(ROLLBACK_TO, "1");
      await run(c);
      await run(c);
      return before;
    },
    then: (c, before) => {
      expect({ applied: c.applied.length, revisions: [...c.revisions.keys()] }).toEqual(before);
      expect(imageOf(c, "shop-api")).toBe("api:3");
      expect(status(c)).toMatchObject({
        phase: "Ready",
        revision: 3,
        message:
          "topo.dev/rollback-to refused: revision 1 is not kept (status.history holds revisions 2, 3); nothing was changed",
      });
      expect(condition(c, "Pinned")).toMatchObject({ status: "False", reason: "RollbackRefused" });
      expect(c.events.filter((e) => e.reason === "RollbackRefused")).toEqual([
        {
          type: "Warning",
          reason: "RollbackRefused",
          message:
            "topo.dev/rollback-to refused: revision 1 is not kept (status.history holds revisions 2, 3); nothing was changed",
        },
      ]);
    },
  },
  {
    name: "refuses a revision that never ran Ready, and a value that is no revision number",
    given: async (c) => {
      await converge(c);
      c.setSpec(shop("api:2"));
      c.down.add("api");
      await run(c);
      c.crashLoop("api");
      await run(c);
      c.down.delete("api");
      c.settle();
      await run(c);
    },
    when: async (c) => {
      c.annotate(ROLLBACK_TO, "2");
      await run(c);
      expect(status(c).message).toBe(
        "topo.dev/rollback-to refused: revision 2 never ran Ready (RolledBack), so it is not kept; nothing was changed",
      );
      c.annotate(ROLLBACK_TO, "latest");
      await run(c);
    },
    then: (c) => {
      expect(status(c).message).toBe('topo.dev/rollback-to refused: "latest" is not a revision number');
      expect(c.events.filter((e) => e.reason === "RollbackRefused")).toHaveLength(2);
      expect(imageOf(c, "shop-api")).toBe("api:1");
    },
  },
  {
    name: "keeps the revision that ran when pinning, so a later request returns to it",
    given: async (c) => {
      await threeReleases(c);
      c.annotate(ROLLBACK_TO, "1");
      await settleRuns(c);
    },
    when: async (c) => {
      c.annotate(ROLLBACK_TO, "3");
      await settleRuns(c);
    },
    then: (c) => {
      expect(c.revisions.has(3)).toBe(true);
      expect(imageOf(c, "shop-api")).toBe("api:3");
      expect(last(c)).toMatchObject({ revision: 3, trigger: "manual", from: 1, outcome: "Succeeded" });
      expect(condition(c, "Pinned")?.message).toMatch(/^pinned to revision 3 /);
    },
  },
  {
    name: "pins the revision that runs, keeping it first, and applies nothing",
    given: (c) => threeReleases(c),
    when: async (c) => {
      const applied = c.applied.length;
      c.annotate(ROLLBACK_TO, "3");
      await run(c);
      return applied;
    },
    then: (c, applied) => {
      expect(c.revisions.has(3)).toBe(true);
      expect(c.applied.length).toBe(applied);
      expect(status(c)).toMatchObject({ phase: "RolledBack", revision: 3 });
      expect(last(c)).toMatchObject({
        revision: 3,
        trigger: "manual",
        outcome: "Succeeded",
        recoverySeconds: 0,
      });
    },
  },
  {
    name: "holds the pinned revision when a later request is refused",
    given: async (c) => {
      await threeReleases(c, { historyLimit: 3 });
      c.annotate(ROLLBACK_TO, "2");
      await settleRuns(c);
    },
    when: async (c) => {
      c.annotate(ROLLBACK_TO, "9");
      await settleRuns(c);
    },
    then: (c) => {
      expect(imageOf(c, "shop-api")).toBe("api:2");
      expect(condition(c, "Pinned")).toMatchObject({
        status: "True",
        message: expect.stringContaining("topo.dev/rollback-to refused: revision 9 is not kept"),
      });
    },
  },
  {
    name: "runs only the pinned revision's nodes: a node the spec added since is removed while pinned",
    given: async (c) => {
      await converge(c);
      c.setSpec({ ...shop("api:2"), nodes: [...shop("api:2").nodes, { name: "cache", image: "redis:7" }] });
      await converge(c);
    },
    when: async (c) => {
      c.annotate(ROLLBACK_TO, "1");
      await settleRuns(c);
    },
    then: (c) => {
      expect(c.child("Deployment/shop-cache")).toBeUndefined();
      expect(status(c).nodes!.map((n) => n.name)).toEqual(["postgres", "api"]);
      expect(status(c)).toMatchObject({ phase: "RolledBack", readyNodes: "2/2" });
    },
  },
  {
    name: "measures an automatic rollback from the failure to every node Ready on the last good revision",
    given: async (c) => {
      await converge(c);
      c.setSpec(shop("api:2"));
      c.down.add("api");
    },
    when: async (c) => {
      await run(c);
      c.crashLoop("api");
      await run(c);
      expect(c.recoveries).toEqual([]);
      c.down.delete("api");
      c.advance(3);
      c.settle();
      await run(c);
      await run(c);
    },
    then: (c) => {
      expect(c.recoveries).toEqual([{ seconds: 3, trigger: "automatic" }]);
      expect(last(c)).toMatchObject({ revision: 2, outcome: "RolledBack", recoverySeconds: 3 });
    },
  },
];

describe("reconcile", () => {
  it.each(manualCases)("$name", async ({ spec, given, when, then }) => {
    const c = fakeCluster(spec ?? shop());
    await given?.(c);
    const thrown = await when(c);
    await then(c, thrown);
  });
  it.each(cases)("$name", async ({ spec, given, when, then }) => {
    const c = fakeCluster(spec ?? shop());
    await given?.(c);
    const thrown = await when(c);
    await then(c, thrown);
  });
});

describe("reconcile's applies", () => {
  // Twelve nodes with nothing to wait on: their objects are applied in one reconcile.
  const wide = {
    nodes: Array.from({ length: 12 }, (_, i) => ({
      name: `n${i}`,
      image: "app:1",
      ports: [{ name: "http", port: 8080 }],
    })),
  };
  /** Wraps the fake's apply so that each one takes a turn of the event loop, and records what overlapped. */
  function traced(c: FakeCluster) {
    const trace = { log: [] as string[], inFlight: 0, most: 0 };
    const apply = c.deps.apply;
    c.deps.apply = async (obj) => {
      trace.log.push(`start ${obj.kind}/${obj.metadata.name}`);
      trace.most = Math.max(trace.most, ++trace.inFlight);
      await new Promise((r) => setImmediate(r));
      trace.inFlight--;
      try {
        await apply(obj);
      } finally {
        trace.log.push(`end ${obj.kind}/${obj.metadata.name}`);
      }
    };
    return trace;
  }

  it("applies the prerequisites, then the workloads, each wave at most APPLY_CONCURRENCY at once", async () => {
    const c = fakeCluster(wide);
    const trace = traced(c);
    await run(c);
    expect(deployments(c)).toHaveLength(12);
    expect(trace.most).toBe(APPLY_CONCURRENCY);
    // Every Service and NetworkPolicy is in place before the first Deployment's apply starts.
    const firstDeployment = trace.log.indexOf(trace.log.find((l) => l.startsWith("start Deployment/"))!);
    const lastOther = trace.log.findLastIndex((l) => l.startsWith("end ") && !l.includes("Deployment/"));
    expect(lastOther).toBeGreaterThan(0);
    expect(lastOther).toBeLessThan(firstDeployment);
  });

  it("applies as many at once as a shared limit gives slots, more or fewer than APPLY_CONCURRENCY", async () => {
    for (const slots of [3, 20]) {
      const c = fakeCluster(wide);
      c.deps.limit = pLimit(slots);
      const trace = traced(c);
      await run(c);
      expect(deployments(c)).toHaveLength(12);
      // The first wave holds 24 prerequisites (a Service and a NetworkPolicy per node): enough for 20.
      expect(trace.most).toBe(slots);
      expect(c.deps.limit.activeCount + c.deps.limit.pendingCount).toBe(0);
    }
  });

  it("starts no apply after one failed, and lets those in flight end", async () => {
    const c = fakeCluster(wide);
    c.failApply("Deployment/shop-n0", invalid);
    const trace = traced(c);
    const thrown = await run(c).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(thrown).toBe(invalid);
    // The first APPLY_CONCURRENCY Deployments were started together, and ended; none after the failure.
    expect(trace.log.filter((l) => l.startsWith("start Deployment/"))).toHaveLength(APPLY_CONCURRENCY);
    expect(trace.log.filter((l) => l.startsWith("end Deployment/"))).toHaveLength(APPLY_CONCURRENCY);
    expect(condition(c, "Degraded")?.message).toContain("applying Deployment/shop-n0:");
    expect(c.removed).toEqual([]);
  });
});
