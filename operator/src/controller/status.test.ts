import type { TopologyStatus } from "../api/schema.ts";
import type { RolloutDecision } from "./rollout.ts";
import {
  computeStatus,
  invalidStatus,
  observeDeployment,
  setCondition,
  statusChanged,
  type ObservedNode,
} from "./status.ts";

const NOW = new Date("2026-11-23T10:00:00Z");
const LATER = new Date("2026-11-23T10:05:00Z");
const deployment = (over: { hash?: string; ready?: number; replicas?: number; observed?: number }) => ({
  metadata: { generation: 2 },
  spec: {
    replicas: over.replicas ?? 2,
    template: {
      metadata: { annotations: { "topo.dev/config-hash": over.hash ?? "h" } },
      spec: { containers: [{ image: "x:1" }] },
    },
  },
  status: {
    observedGeneration: over.observed ?? 2,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: over.ready ?? 2,
  },
});
const decision = (
  outcome: "Progressing" | "Succeeded" | "RolledBack",
  extra: Partial<RolloutDecision> = {},
): RolloutDecision => ({
  revision: 2,
  changed: ["a"],
  target: "desired",
  lastGoodRevision: 1,
  history: [
    {
      revision: 2,
      hash: "h",
      images: { a: "x:1" },
      outcome,
      at: NOW.toISOString(),
      generation: 2,
      ...(outcome === "RolledBack" ? { reason: "CrashLoopBackOff on node a" } : {}),
    },
  ],
  ...extra,
});

describe("observeDeployment", () => {
  it("is ready only when every replica runs the target template and the controller saw the latest spec", () => {
    expect(observeDeployment("a", deployment({}), "h").ready).toBe(true);
    expect(observeDeployment("a", deployment({ hash: "old" }), "h").ready).toBe(false);
    expect(observeDeployment("a", deployment({ ready: 1 }), "h").ready).toBe(false);
    expect(observeDeployment("a", deployment({ observed: 1 }), "h").ready).toBe(false);
    expect(observeDeployment("a", undefined, "h")).toEqual({
      name: "a",
      replicas: 0,
      readyReplicas: 0,
      ready: false,
    });
  });
});

describe("computeStatus", () => {
  const ready = [observeDeployment("a", deployment({}), "h")];

  it("reports Ready with 1/1 nodes and the observed generation", () => {
    const s = computeStatus({
      generation: 2,
      previous: undefined,
      nodes: ready,
      decision: decision("Succeeded"),
      now: NOW,
    });
    expect(s).toMatchObject({
      phase: "Ready",
      readyNodes: "1/1",
      observedGeneration: 2,
      revision: 2,
      lastGoodRevision: 1,
    });
    expect(s.conditions!.find((c) => c.type === "Ready")).toMatchObject({
      status: "True",
      reason: "AllNodesReady",
    });
  });

  it("says which node waits on which dependency", () => {
    const nodes = [{ name: "api", replicas: 0, readyReplicas: 0, ready: false, waitingOn: ["db"] }];
    const s = computeStatus({
      generation: 2,
      previous: undefined,
      nodes,
      decision: decision("Progressing", { changed: ["api"] }),
      now: NOW,
    });
    expect(s.phase).toBe("Progressing");
    expect(s.nodes![0]).toMatchObject({ phase: "Waiting", message: "waiting for db to be Ready" });
    expect(s.conditions!.find((c) => c.type === "Progressing")).toMatchObject({
      status: "True",
      reason: "WaitingForDependencies",
    });
  });

  it("shows on how many cluster nodes a node's Ready pods run, and why pods wait for one", () => {
    const s = computeStatus({
      generation: 2,
      previous: undefined,
      nodes: [
        { ...ready[0]!, spreadOver: 2 },
        {
          name: "b",
          replicas: 3,
          readyReplicas: 2,
          ready: false,
          spreadOver: 2,
          unschedulable: "1 pod unschedulable: 0/2 nodes are available",
        },
      ],
      decision: decision("Progressing", { changed: ["b"] }),
      now: NOW,
    });
    expect(s.nodes).toEqual([
      expect.objectContaining({ name: "a", spreadOver: 2 }),
      expect.objectContaining({
        name: "b",
        phase: "Progressing",
        spreadOver: 2,
        message: "1 pod unschedulable: 0/2 nodes are available",
      }),
    ]);
    expect(
      computeStatus({
        generation: 2,
        previous: undefined,
        nodes: ready,
        decision: decision("Succeeded"),
        now: NOW,
      }).nodes![0],
    ).not.toHaveProperty("spreadOver");
  });

  it("names the failed revision, the node and the reason after a rollback", () => {
    const s = computeStatus({
      generation: 2,
      previous: undefined,
      nodes: ready,
      decision: decision("RolledBack", { target: "lastGood" }),
      now: NOW,
    });
    expect(s.phase).toBe("RolledBack");
    expect(s.conditions!.find((c) => c.type === "RolledBack")).toMatchObject({
      status: "True",
      message: "revision 2 failed: CrashLoopBackOff on node a; rolled back to revision 1",
    });
  });

  it("is unchanged when nothing changed, so the operator writes nothing", () => {
    const first = computeStatus({
      generation: 2,
      previous: undefined,
      nodes: ready,
      decision: decision("Succeeded"),
      now: NOW,
    });
    const second = computeStatus({
      generation: 2,
      previous: first,
      nodes: ready,
      decision: decision("Succeeded"),
      now: LATER,
    });
    expect(statusChanged(first, second)).toBe(false);
  });

  it("reports an apply error as Degraded instead of claiming progress", () => {
    const s = computeStatus({
      generation: 2,
      previous: undefined,
      nodes: ready,
      decision: decision("Succeeded"),
      applyError: "forbidden",
      now: NOW,
    });
    expect(s.phase).toBe("Degraded");
    expect(s.conditions!.find((c) => c.type === "Degraded")).toMatchObject({
      status: "True",
      reason: "ApplyFailed",
      message: "forbidden",
    });
    // Every node is Ready: the apply error is what holds Ready back, and Ready says so.
    expect(s.conditions!.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ApplyFailed",
      message: "forbidden",
    });
  });
});

describe("computeStatus when every node is Ready but the revision is not", () => {
  const ready = [observeDeployment("a", deployment({}), "h")];
  const firstFailed: RolloutDecision = {
    revision: 1,
    changed: ["a"],
    target: "desired",
    history: [
      {
        revision: 1,
        hash: "h",
        images: { a: "x:1" },
        outcome: "Failed",
        reason: "not Ready within 90s (node a)",
        at: NOW.toISOString(),
        generation: 1,
      },
    ],
  };

  it("says the revision failed, not that nothing is Ready, when a first revision missed its deadline", () => {
    const s = computeStatus({
      generation: 1,
      previous: undefined,
      nodes: ready,
      decision: firstFailed,
      now: NOW,
    });
    expect(s.phase).toBe("Degraded");
    expect(s.conditions!.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: "revision 1 failed: not Ready within 90s (node a); every node is Ready now",
    });
  });
});

describe("computeStatus when a node the revision did not change is down", () => {
  // Revision 2 changed api only; postgres, which it did not touch, went down.
  const node = (name: string, ready: boolean, over: Partial<ObservedNode> = {}): ObservedNode => ({
    name,
    replicas: 1,
    readyReplicas: ready ? 1 : 0,
    ready,
    ...over,
  });
  const revision2 = (outcome: "Progressing" | "Succeeded") =>
    decision(outcome, {
      changed: ["api"],
      history: [
        { revision: 1, hash: "r1", images: {}, outcome: "Succeeded", at: NOW.toISOString(), generation: 1 },
        { revision: 2, hash: "r2", images: {}, outcome, at: NOW.toISOString(), generation: 2 },
      ],
      ...(outcome === "Succeeded" ? { lastGoodRevision: 2 } : {}),
    });
  const conditionOf = (s: TopologyStatus, type: string) => s.conditions!.find((c) => c.type === type)!;
  const phases = (s: TopologyStatus) => Object.fromEntries(s.nodes!.map((n) => [n.name, n.phase]));
  const status = (d: RolloutDecision, nodes: ObservedNode[], previous?: TopologyStatus) =>
    computeStatus({ generation: 2, previous, nodes, decision: d, now: NOW });

  it.each([
    {
      name: "is Degraded naming the unchanged node while the rollout goes on",
      status: status(revision2("Progressing"), [node("api", false), node("postgres", false)]),
      phase: "Degraded",
      degraded: {
        status: "True",
        reason: "NodesNotReady",
        message: "not Ready: postgres; revision 2 did not change it",
      },
      progressing: "True",
      nodes: { api: "Progressing", postgres: "Degraded" },
    },
    {
      name: "is Degraded, not RolledBack, naming the node, once the revision succeeded without it",
      status: status(revision2("Succeeded"), [node("api", true), node("postgres", false)]),
      phase: "Degraded",
      degraded: { status: "True", reason: "NodesNotReady", message: "not Ready: postgres" },
      progressing: "False",
      nodes: { api: "Ready", postgres: "Degraded" },
    },
    {
      name: "names a failing pod of the unchanged node as PodFailing",
      status: status(revision2("Progressing"), [
        node("api", false),
        node("postgres", false, { failure: { node: "postgres", reason: "CrashLoopBackOff" } }),
      ]),
      phase: "Degraded",
      degraded: {
        status: "True",
        reason: "PodFailing",
        message: "not Ready: postgres (CrashLoopBackOff); revision 2 did not change it",
      },
      progressing: "True",
      nodes: { api: "Progressing", postgres: "Degraded" },
    },
    {
      name: "counts the changed node still rolling out as progress, not as an outage",
      status: status(revision2("Progressing"), [node("api", false), node("postgres", true)]),
      phase: "Progressing",
      degraded: { status: "False", reason: "AllNodesReady" },
      progressing: "True",
      nodes: { api: "Progressing", postgres: "Ready" },
    },
  ])("$name", (c) => {
    expect(c.status.phase).toBe(c.phase);
    expect(conditionOf(c.status, "Degraded")).toMatchObject(c.degraded);
    expect(conditionOf(c.status, "Progressing").status).toBe(c.progressing);
    expect(conditionOf(c.status, "RolledBack").status).toBe("False");
    expect(phases(c.status)).toEqual(c.nodes);
    if (c.phase === "Degraded") expect(c.status.message).toBe(c.degraded.message);
  });

  it("says how many replicas of the unchanged node are Ready", () => {
    const s = status(revision2("Succeeded"), [node("api", true), node("postgres", false, { replicas: 2 })]);
    expect(s.nodes!.find((n) => n.name === "postgres")).toMatchObject({
      phase: "Degraded",
      message: "0/2 replicas Ready",
    });
  });

  it("is Ready again once the unrelated node is back, with no message left", () => {
    const down = status(revision2("Succeeded"), [node("api", true), node("postgres", false)]);
    const back = status(revision2("Succeeded"), [node("api", true), node("postgres", true)], down);
    expect(back.phase).toBe("Ready");
    expect(back.message).toBeUndefined();
    expect(conditionOf(back, "Degraded")).toMatchObject({ status: "False", message: "no node is degraded" });
    expect(conditionOf(back, "Ready")).toMatchObject({ status: "True", reason: "AllNodesReady" });
    expect(phases(back)).toEqual({ api: "Ready", postgres: "Ready" });
  });
});

describe("computeStatus of a rollback by hand", () => {
  // Revision 3 ran; the user pinned revision 1 at generation 3 (topo.dev/rollback-to: "1").
  const manual = (outcome: "Progressing" | "Succeeded" | "Failed", extra: Partial<RolloutDecision> = {}) =>
    decision("Progressing", {
      revision: 1,
      target: "pinned",
      changed: ["a"],
      lastGoodRevision: outcome === "Succeeded" ? 1 : 3,
      history: [
        { revision: 3, hash: "h3", images: {}, outcome: "Succeeded", at: NOW.toISOString(), generation: 3 },
        {
          revision: 1,
          hash: "h",
          images: {},
          outcome,
          at: NOW.toISOString(),
          generation: 3,
          trigger: "manual",
          from: 3,
          rollbackAt: NOW.toISOString(),
          ...(outcome === "Failed" ? { reason: "not Ready within 90s (node a)" } : {}),
        },
      ],
      ...extra,
    });
  const ready = [observeDeployment("a", deployment({}), "h")];
  const notReady = [observeDeployment("a", deployment({ hash: "h3" }), "h")];
  const conditionOf = (s: TopologyStatus, type: string) => s.conditions!.find((c) => c.type === type);
  const status = (d: RolloutDecision, nodes = ready, generation = 3, refused?: string) =>
    computeStatus({
      generation,
      previous: undefined,
      nodes,
      decision: d,
      now: NOW,
      ...(refused ? { refused } : {}),
    });

  it.each([
    {
      name: "is RolledBack with reason ManualRollback and Pinned while the pinned revision rolls out",
      status: status(manual("Progressing"), notReady),
      phase: "RolledBack",
      conditions: {
        RolledBack: {
          status: "True",
          reason: "ManualRollback",
          message: "rolled back by hand to revision 1 from revision 3 (topo.dev/rollback-to)",
        },
        Pinned: { status: "True", reason: "ManualRollback" },
        Progressing: { status: "True", message: "revision 1 (a rollback by hand) is rolling out" },
        Ready: { status: "False", reason: "NodesNotReady" },
      },
    },
    {
      name: "says every node is Ready on the pinned revision, which is not the spec's",
      status: status(manual("Succeeded")),
      phase: "RolledBack",
      conditions: {
        Ready: {
          status: "False",
          reason: "ManualRollback",
          message: "all 1 nodes are Ready on revision 1, not on the spec's",
        },
        Degraded: { status: "False" },
        Progressing: { status: "False" },
      },
    },
    {
      name: "names the generation of the spec it holds back",
      status: status(manual("Succeeded"), ready, 5),
      phase: "RolledBack",
      conditions: {
        Pinned: {
          status: "True",
          message:
            "pinned to revision 1 by topo.dev/rollback-to: generation 5 of the spec is held, not rolled out, until the annotation is removed",
        },
      },
    },
    {
      name: "is Degraded, still pinned, when the pinned revision is not Ready by the deadline",
      status: status(manual("Failed"), notReady),
      phase: "Degraded",
      conditions: {
        Degraded: { status: "True", message: "not Ready within 90s (node a)" },
        Pinned: { status: "True" },
      },
    },
    {
      name: "keeps the pin and says why a request for another revision was refused",
      status: status(manual("Succeeded"), ready, 3, "revision 7 is not kept"),
      phase: "RolledBack",
      conditions: {
        Pinned: {
          status: "True",
          message: expect.stringMatching(
            /^pinned to revision 1 .*; topo.dev\/rollback-to refused: revision 7 is not kept$/,
          ),
        },
      },
    },
    {
      name: "is not pinned, naming the refusal, when a request on a Topology that is not pinned is refused",
      status: status(decision("Succeeded"), ready, 2, "revision 7 is not kept"),
      phase: "Ready",
      conditions: {
        Pinned: {
          status: "False",
          reason: "RollbackRefused",
          message: "topo.dev/rollback-to refused: revision 7 is not kept",
        },
        RolledBack: { status: "False" },
      },
    },
  ])("$name", (c) => {
    expect(c.status.phase).toBe(c.phase);
    for (const [type, expected] of Object.entries(c.conditions))
      expect(conditionOf(c.status, type)).toMatchObject(expected);
  });

  it("puts a refusal in status.message", () => {
    expect(status(decision("Succeeded"), ready, 2, "revision 7 is not kept").message).toBe(
      "topo.dev/rollback-to refused: revision 7 is not kept",
    );
  });

  it("has no Pinned condition on a Topology never pinned, and Pinned=False NotPinned once released", () => {
    const never = status(decision("Succeeded"), ready, 2);
    expect(conditionOf(never, "Pinned")).toBeUndefined();
    const held = status(manual("Succeeded"));
    const released = computeStatus({
      generation: 4,
      previous: held,
      nodes: ready,
      decision: decision("Progressing"),
      now: LATER,
    });
    expect(conditionOf(released, "Pinned")).toMatchObject({
      status: "False",
      reason: "NotPinned",
      lastTransitionTime: LATER.toISOString(),
    });
    expect(released.phase).toBe("Progressing");
  });
});

describe("conditions", () => {
  it("keep lastTransitionTime while their status holds and move it when it flips", () => {
    const a = setCondition([], { type: "Ready", status: "True", reason: "R", message: "m" }, NOW);
    const b = setCondition(a, { type: "Ready", status: "True", reason: "R", message: "m2" }, LATER);
    const c = setCondition(b, { type: "Ready", status: "False", reason: "R", message: "m" }, LATER);
    expect(b[0]!.lastTransitionTime).toBe(NOW.toISOString());
    expect(c[0]!.lastTransitionTime).toBe(LATER.toISOString());
  });

  it("mark an invalid spec with InvalidSpec and phase Invalid", () => {
    const s = invalidStatus(undefined, 3, "spec.nodes[0].image: is required", NOW);
    expect(s).toMatchObject({ phase: "Invalid", observedGeneration: 3 });
    expect(s.conditions!.find((c) => c.type === "InvalidSpec")).toMatchObject({
      status: "True",
      message: "spec.nodes[0].image: is required",
    });
  });
});
