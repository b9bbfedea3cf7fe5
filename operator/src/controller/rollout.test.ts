import type { HistoryEntry } from "../api/schema.ts";
import type { KubeObject } from "../render/k8s/index.ts";
import { decideRollout, snapshotOf, type RolloutInput, type RevisionSnapshot } from "./rollout.ts";

const snap = (hash: string, image = `img:${hash}`): RevisionSnapshot => ({
  hash,
  templates: { a: hash },
  images: { a: image },
});
const T0 = new Date("2026-11-23T10:00:00Z");
const after = (s: number) => new Date(T0.getTime() + s * 1000);
const entry = (
  revision: number,
  hash: string,
  outcome: HistoryEntry["outcome"],
  generation = revision,
): HistoryEntry => ({
  revision,
  hash,
  images: { a: `img:${hash}` },
  outcome,
  at: T0.toISOString(),
  generation,
});
const input = (over: Partial<RolloutInput>): RolloutInput => ({
  generation: 1,
  desired: snap("h1"),
  history: [],
  readyNodes: [],
  failures: [],
  now: T0,
  progressDeadlineSeconds: 90,
  autoRollback: true,
  historyLimit: 10,
  ...over,
});

describe("decideRollout", () => {
  it("starts revision 1 for a new topology and asks to look again at the deadline", () => {
    const d = decideRollout(input({}));
    expect(d).toMatchObject({ revision: 1, target: "desired", started: true, requeueAfterMs: 90_000 });
    expect(d.history).toEqual([
      expect.objectContaining({ revision: 1, outcome: "Progressing", hash: "h1", generation: 1 }),
    ]);
  });

  it("marks the revision good once every node is ready", () => {
    const d = decideRollout(input({ history: [entry(1, "h1", "Progressing", 1)], readyNodes: ["a"] }));
    expect(d.history[0]!.outcome).toBe("Succeeded");
    expect(d.lastGoodRevision).toBe(1);
    expect(d.started).toBeUndefined();
  });

  it("changes nothing when the ready revision is still the desired one", () => {
    const history = [entry(1, "h1", "Succeeded", 1)];
    const d = decideRollout(input({ history, lastGoodRevision: 1, readyNodes: ["a"] }));
    expect(d.history).toEqual(history);
    expect(d).toMatchObject({ revision: 1, lastGoodRevision: 1, target: "desired" });
  });

  it("starts a new revision when the pod templates change", () => {
    const d = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history: [entry(1, "h1", "Succeeded", 1)],
        lastGoodRevision: 1,
        now: after(5),
      }),
    );
    expect(d.revision).toBe(2);
    expect(d.history.map((h) => h.outcome)).toEqual(["Succeeded", "Progressing"]);
  });

  it("rolls back when the new revision is not ready by the deadline", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)];
    const d = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history,
        lastGoodRevision: 1,
        now: after(97),
      }),
    );
    expect(d.target).toBe("lastGood");
    // Judged failed at its deadline, though the reconcile came later: recovery time counts from there.
    expect(d.rolledBack).toEqual({
      revision: 2,
      to: 1,
      node: "a",
      reason: "ProgressDeadlineExceeded",
      failedAt: after(90).getTime(),
    });
    expect(d.history[1]).toMatchObject({ outcome: "RolledBack", reason: "not Ready within 90s (node a)" });
  });

  it("says why a revision that ran out of time did not finish: its pods wait for a cluster node", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)];
    const why =
      "1 pod unschedulable: 0/4 nodes are available: 4 node(s) didn't match pod topology spread constraints.";
    const d = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history,
        lastGoodRevision: 1,
        now: after(97),
        unschedulable: { a: why },
      }),
    );
    expect(d.target).toBe("lastGood");
    expect(d.history[1]).toMatchObject({
      outcome: "RolledBack",
      reason: `not Ready within 90s (node a: ${why})`,
    });
  });

  it("rolls back before the deadline when a pod of the new revision is failing", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)];
    const d = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history,
        lastGoodRevision: 1,
        now: after(20),
        failures: [{ node: "a", reason: "CrashLoopBackOff" }],
      }),
    );
    expect(d.rolledBack).toMatchObject({
      node: "a",
      reason: "CrashLoopBackOff",
      failedAt: after(20).getTime(),
    });
  });

  it("does not retry a rolled-back revision until the spec changes again", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "RolledBack", 2)];
    const same = decideRollout(
      input({ generation: 2, desired: snap("h2"), history, lastGoodRevision: 1, now: after(300) }),
    );
    expect(same).toMatchObject({ target: "lastGood", revision: 2 });
    expect(same.started).toBeUndefined();
    const edited = decideRollout(
      input({ generation: 3, desired: snap("h2"), history, lastGoodRevision: 1, now: after(300) }),
    );
    expect(edited).toMatchObject({ target: "desired", revision: 3, started: true });
  });

  it("marks the revision failed, without rolling back, when autoRollback is off or nothing was ever good", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)];
    const off = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history,
        lastGoodRevision: 1,
        now: after(91),
        autoRollback: false,
      }),
    );
    expect(off).toMatchObject({ target: "desired", failed: { revision: 2, node: "a" } });
    const first = decideRollout(input({ history: [entry(1, "h1", "Progressing", 1)], now: after(91) }));
    expect(first.history[0]!.outcome).toBe("Failed");
    expect(first.target).toBe("desired");
  });

  it("supersedes a revision still in progress when the spec changes", () => {
    const d = decideRollout(
      input({
        generation: 3,
        desired: snap("h3"),
        history: [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)],
        lastGoodRevision: 1,
      }),
    );
    expect(d.history.map((h) => h.outcome)).toEqual(["Succeeded", "Superseded", "Progressing"]);
  });
});

describe("decideRollout judges a revision on the nodes it changed", () => {
  // Revision 1 ran api, postgres and worker (worker depends on api). Revision 2 changes api's image only;
  // revision 3 changes api's port, so worker's TOPO_PEERS changes too and worker restarts with it.
  const rev1 = { api: "a1", postgres: "p1", worker: "w1" };
  const rev2: RevisionSnapshot = {
    hash: "r2",
    templates: { api: "a2", postgres: "p1", worker: "w1" },
    images: { api: "api:2", postgres: "pg:16", worker: "worker:1" },
  };
  const rev3: RevisionSnapshot = {
    ...rev2,
    hash: "r3",
    templates: { api: "a3", postgres: "p1", worker: "w3" },
  };
  const rolling = (desired: RevisionSnapshot, over: Partial<RolloutInput>) =>
    input({
      generation: 2,
      desired,
      history: [entry(1, "r1", "Succeeded", 1), entry(2, desired.hash, "Progressing", 2)],
      lastGoodRevision: 1,
      previousTemplates: rev1,
      ...over,
    });
  const crash = (node: string) => ({ node, reason: "CrashLoopBackOff" });

  const cases: {
    name: string;
    input: RolloutInput;
    outcome: HistoryEntry["outcome"];
    changed: string[];
    node?: string;
  }[] = [
    {
      name: "succeeds when the node it changed is Ready although an unchanged node is down",
      input: rolling(rev2, { readyNodes: ["api", "worker"], now: after(5) }),
      outcome: "Succeeded",
      changed: ["api"],
    },
    {
      name: "does not roll back at the deadline when only an unchanged node is not Ready",
      input: rolling(rev2, { readyNodes: ["api", "worker"], now: after(97) }),
      outcome: "Succeeded",
      changed: ["api"],
    },
    {
      name: "keeps waiting for the node it changed while an unchanged node is down",
      input: rolling(rev2, { readyNodes: ["worker"], now: after(5) }),
      outcome: "Progressing",
      changed: ["api"],
    },
    {
      name: "does not roll back when a pod of an unchanged node is failing",
      input: rolling(rev2, { readyNodes: ["worker"], failures: [crash("postgres")], now: after(20) }),
      outcome: "Progressing",
      changed: ["api"],
    },
    {
      name: "rolls back when the node it changed is not Ready by the deadline, naming that node",
      input: rolling(rev2, { readyNodes: ["postgres", "worker"], now: after(97) }),
      outcome: "RolledBack",
      changed: ["api"],
      node: "api",
    },
    {
      name: "rolls back when a pod of the node it changed is failing, past an unchanged one failing too",
      input: rolling(rev2, { failures: [crash("postgres"), crash("api")], now: after(20) }),
      outcome: "RolledBack",
      changed: ["api"],
      node: "api",
    },
    {
      name: "rolls back when a dependent that restarted because of the change is failing",
      input: rolling(rev3, { readyNodes: ["api", "postgres"], failures: [crash("worker")], now: after(20) }),
      outcome: "RolledBack",
      changed: ["api", "worker"],
      node: "worker",
    },
    {
      name: "waits for a dependent that restarted because of the change before it succeeds",
      input: rolling(rev3, { readyNodes: ["api", "postgres"], now: after(5) }),
      outcome: "Progressing",
      changed: ["api", "worker"],
    },
    {
      name: "judges a first revision (nothing before it) on every node",
      input: input({
        desired: { ...rev2, hash: "r1", templates: rev1 },
        history: [entry(1, "r1", "Progressing", 1)],
        readyNodes: ["api", "worker"],
        now: after(91),
      }),
      outcome: "Failed",
      changed: ["api", "postgres", "worker"],
      node: "postgres",
    },
    {
      name: "judges on every node when the last good revision is not kept, as nothing says what changed",
      input: rolling(rev2, { previousTemplates: undefined, readyNodes: ["api", "worker"], now: after(97) }),
      outcome: "RolledBack",
      changed: ["api", "postgres", "worker"],
      node: "postgres",
    },
    {
      name: "succeeds at once a revision that changes no pod template (a new hash of the same templates)",
      input: rolling({ ...rev2, hash: "r2-rehashed", templates: rev1 }, { now: after(1) }),
      outcome: "Succeeded",
      changed: [],
    },
  ];
  it.each(cases)("$name", ({ input: given, outcome, changed, node }) => {
    const d = decideRollout(given);
    expect(d.history.at(-1)!.outcome).toBe(outcome);
    expect(d.changed).toEqual(changed);
    if (outcome === "RolledBack") expect(d).toMatchObject({ target: "lastGood", rolledBack: { node } });
    else if (outcome === "Failed") expect(d).toMatchObject({ target: "desired", failed: { node } });
    else expect(d.rolledBack ?? d.failed).toBeUndefined();
    if (outcome === "Succeeded") expect(d.lastGoodRevision).toBe(d.revision);
  });
});

describe("decideRollout with historyLimit", () => {
  const limited = (over: Partial<RolloutInput>) =>
    input({ generation: 2, desired: snap("h2"), lastGoodRevision: 1, historyLimit: 1, ...over });
  const revisions = (h: readonly HistoryEntry[]) => h.map((e) => [e.revision, e.outcome]);

  it.each([
    {
      name: "keeps the new revision beside the last good one when historyLimit is 1",
      given: limited({ history: [entry(1, "h1", "Succeeded", 1)] }),
      kept: [
        [1, "Succeeded"],
        [2, "Progressing"],
      ],
    },
    {
      name: "keeps the rolled-back revision beside the last good one when historyLimit is 1",
      given: limited({
        history: [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)],
        now: after(97),
      }),
      kept: [
        [1, "Succeeded"],
        [2, "RolledBack"],
      ],
    },
    {
      name: "drops the old last good revision once the new one succeeds when historyLimit is 1",
      given: limited({
        history: [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)],
        readyNodes: ["a"],
      }),
      kept: [[2, "Succeeded"]],
    },
    {
      name: "drops the oldest entries beyond the limit but never the last good one",
      given: limited({
        generation: 4,
        desired: snap("h4"),
        history: [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Failed", 2), entry(3, "h3", "Failed", 3)],
        historyLimit: 2,
      }),
      kept: [
        [1, "Succeeded"],
        [4, "Progressing"],
      ],
    },
  ])("$name", ({ given, kept }) => {
    expect(revisions(decideRollout(given).history)).toEqual(kept);
  });

  it("does not start the revision again on the next reconcile when historyLimit is 1", () => {
    const first = decideRollout(limited({ history: [entry(1, "h1", "Succeeded", 1)] }));
    const next = decideRollout(limited({ history: first.history, now: after(5) }));
    expect(next.started).toBeUndefined();
    expect(next.revision).toBe(2);
    // The deadline counts from the revision's start, so it does not move with each reconcile.
    expect(next.requeueAfterMs).toBe(85_000);
    const late = decideRollout(limited({ history: next.history, now: after(91) }));
    expect(late.rolledBack).toMatchObject({ revision: 2, to: 1 });
  });
});

describe("decideRollout with a rollback by hand (a pin)", () => {
  // Revisions 1, 2 and 3 ran Ready; 3 is the spec's and runs; the user pins 1, whose template of a is h1.
  const three = [
    entry(1, "h1", "Succeeded", 1),
    entry(2, "h2", "Succeeded", 2),
    entry(3, "h3", "Succeeded", 3),
  ];
  const pin = { revision: 1, snapshot: snap("h1") };
  const pinned = (over: Partial<RolloutInput>) =>
    input({
      generation: 3,
      desired: snap("h3"),
      history: three,
      lastGoodRevision: 3,
      readyNodes: ["a"],
      readyTemplates: { a: "h3" },
      pin,
      ...over,
    });
  const started = decideRollout(pinned({}));
  const manual = started.history.at(-1)!;

  it.each([
    {
      name: "applies the pinned revision and records a manual entry from the revision that ran",
      decision: started,
      expected: {
        target: "pinned",
        revision: 1,
        lastGoodRevision: 3,
        manual: { revision: 1, from: 3 },
        requeueAfterMs: 90_000,
      },
      latest: { revision: 1, hash: "h1", trigger: "manual", from: 3, outcome: "Progressing", generation: 3 },
    },
    {
      name: "succeeds once every node runs the pinned revision Ready, measuring the time since the request",
      decision: decideRollout(
        pinned({ history: started.history, readyTemplates: { a: "h1" }, now: after(4.25) }),
      ),
      expected: {
        target: "pinned",
        lastGoodRevision: 1,
        recovered: { revision: 1, seconds: 4.25, trigger: "manual" },
      },
      latest: { outcome: "Succeeded", recoverySeconds: 4.25, rollbackAt: T0.toISOString() },
    },
    {
      name: "holds the pinned revision when the spec changes, starting no revision of it",
      decision: decideRollout(
        pinned({
          generation: 4,
          desired: snap("h4"),
          history: [...three, { ...manual, outcome: "Succeeded", recoverySeconds: 3 }],
          lastGoodRevision: 1,
          readyTemplates: { a: "h1" },
          now: after(60),
        }),
      ),
      expected: { target: "pinned", revision: 1, lastGoodRevision: 1 },
      latest: { revision: 1, trigger: "manual", outcome: "Succeeded", recoverySeconds: 3 },
    },
    {
      name: "fails a rollback by hand not Ready by the deadline, still pinned, and rolls nothing back",
      decision: decideRollout(pinned({ history: started.history, now: after(90) })),
      expected: { target: "pinned", failed: { revision: 1, node: "a" }, lastGoodRevision: 3 },
      latest: { outcome: "Failed", reason: "not Ready within 90s (node a)" },
    },
    {
      name: "succeeds a failed rollback by hand once every node gets there after all",
      decision: decideRollout(
        pinned({
          history: [...three, { ...manual, outcome: "Failed", reason: "late" }],
          readyTemplates: { a: "h1" },
          now: after(200),
        }),
      ),
      expected: { lastGoodRevision: 1, recovered: { seconds: 200, trigger: "manual" } },
      latest: { outcome: "Succeeded", recoverySeconds: 200 },
    },
    {
      name: "starts a new manual entry when another revision is pinned, from the one pinned before",
      decision: decideRollout(
        pinned({
          history: [...three, { ...manual, outcome: "Succeeded" }],
          lastGoodRevision: 1,
          readyTemplates: { a: "h1" },
          pin: { revision: 2, snapshot: snap("h2") },
        }),
      ),
      expected: { target: "pinned", revision: 2, manual: { revision: 2, from: 1 } },
      latest: { revision: 2, trigger: "manual", from: 1, outcome: "Progressing" },
    },
    {
      name: "names a revision in flight as the one rolled back from",
      decision: decideRollout(
        pinned({
          generation: 4,
          desired: snap("h4"),
          history: [...three, entry(4, "h4", "Progressing", 4)],
          readyTemplates: {},
        }),
      ),
      expected: { manual: { revision: 1, from: 4 } },
      latest: { revision: 1, outcome: "Progressing" },
    },
  ])("$name", ({ decision, expected, latest }) => {
    expect(decision).toMatchObject(expected);
    expect(decision.history.at(-1)).toMatchObject(latest);
    expect(decision.history.slice(0, 3).map((h) => h.outcome)).toEqual([
      "Succeeded",
      "Succeeded",
      "Succeeded",
    ]);
  });

  it("marks the revision in flight Superseded when a pin replaces it", () => {
    const d = decideRollout(
      pinned({ generation: 4, desired: snap("h4"), history: [...three, entry(4, "h4", "Progressing", 4)] }),
    );
    expect(d.history.map((h) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [2, "Succeeded"],
      [3, "Succeeded"],
      [4, "Superseded"],
      [1, "Progressing"],
    ]);
  });

  it("rolls forward once released: the spec's templates start a new revision, judged against the pinned one", () => {
    const d = decideRollout(
      input({
        generation: 4,
        desired: snap("h3"),
        history: [...three, { ...manual, outcome: "Succeeded", recoverySeconds: 3 }],
        lastGoodRevision: 1,
        previousTemplates: { a: "h1" },
        now: after(60),
      }),
    );
    expect(d).toMatchObject({ revision: 4, target: "desired", started: true, changed: ["a"] });
    expect(d.history.at(-1)).toMatchObject({ revision: 4, hash: "h3", outcome: "Progressing" });
    expect(d.history.at(-1)!.trigger).toBeUndefined();
  });

  it("never drops the pinned revision nor the last good one from a short history", () => {
    const d = decideRollout(pinned({ historyLimit: 1 }));
    expect(d.history.map((h) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [3, "Succeeded"],
      [1, "Progressing"],
    ]);
  });
});

describe("decideRollout measures an automatic rollback's recovery", () => {
  const rolledBack = {
    ...entry(2, "h2", "RolledBack", 2),
    rollbackAt: after(90).toISOString(),
    reason: "not Ready within 90s (node a)",
  };
  const given = (over: Partial<RolloutInput>) =>
    input({
      generation: 2,
      desired: snap("h2"),
      history: [entry(1, "h1", "Succeeded", 1), rolledBack],
      lastGoodRevision: 1,
      previousTemplates: { a: "h1" },
      ...over,
    });

  it("stamps the moment a revision is judged failed as the rollback's request", () => {
    const d = decideRollout(
      given({ history: [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)], now: after(95) }),
    );
    expect(d.history.at(-1)).toMatchObject({ outcome: "RolledBack", rollbackAt: after(90).toISOString() });
    expect(d.recovered).toBeUndefined();
  });

  it.each([
    {
      name: "does not count a node still on the failed revision as recovered",
      readyTemplates: { a: "h2" },
      recovered: undefined,
    },
    {
      name: "counts the seconds from the failure to every node Ready on the last good revision",
      readyTemplates: { a: "h1" },
      recovered: { revision: 1, seconds: 12, trigger: "automatic" },
    },
  ])("$name", ({ readyTemplates, recovered }) => {
    const d = decideRollout(given({ readyTemplates, now: after(102) }));
    expect(d.recovered).toEqual(recovered);
    expect(d.history.at(-1)!.recoverySeconds).toBe(recovered?.seconds);
  });

  it("measures a recovery once", () => {
    const once = decideRollout(given({ readyTemplates: { a: "h1" }, now: after(102) }));
    const again = decideRollout(
      given({ history: once.history, readyTemplates: { a: "h1" }, now: after(200) }),
    );
    expect(again.recovered).toBeUndefined();
    expect(again.history.at(-1)!.recoverySeconds).toBe(12);
  });
});

describe("snapshotOf", () => {
  const deployment = (node: string, hash: string) =>
    ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `t-${node}`, labels: { "topo.dev/node": node } },
      spec: {
        template: {
          metadata: { annotations: { "topo.dev/config-hash": hash } },
          spec: { containers: [{ name: node, image: `${node}:1` }] },
        },
      },
    }) as unknown as KubeObject;

  it("hashes the set of pod templates, whatever the order of the objects", () => {
    const a = snapshotOf([deployment("web", "h1"), deployment("db", "h2")]);
    const b = snapshotOf([deployment("db", "h2"), deployment("web", "h1")]);
    expect(a.hash).toBe(b.hash);
    expect(a.templates).toEqual({ web: "h1", db: "h2" });
    expect(a.images).toEqual({ web: "web:1", db: "db:1" });
  });

  it("changes when one template changes", () => {
    const a = snapshotOf([deployment("web", "h1"), deployment("db", "h2")]);
    expect(snapshotOf([deployment("web", "h1"), deployment("db", "h3")]).hash).not.toBe(a.hash);
  });
});
