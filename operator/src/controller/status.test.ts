import { computeStatus, invalidStatus, observeDeployment, setCondition, statusChanged } from "./status.ts";
import type { RolloutDecision } from "./rollout.ts";

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
      decision: decision("Progressing"),
      now: NOW,
    });
    expect(s.nodes![0]).toMatchObject({ phase: "Waiting", message: "waiting for db to be Ready" });
    expect(s.conditions!.find((c) => c.type === "Progressing")).toMatchObject({
      status: "True",
      reason: "WaitingForDependencies",
    });
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
