import { parseTopology } from "../api/parse.ts";
import type { Topology } from "../api/topology.ts";
import type { ContainerState } from "./docker.ts";
import { assess, chooseRevision } from "./runtime.ts";
import type { HistoryEntry, LocalState } from "./state.ts";

function topology(): Topology {
  const r = parseTopology({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: "t" },
    spec: {
      nodes: [
        { name: "db", image: "db:1", health: { exec: { command: ["true"] } } },
        { name: "web", image: "web:1", dependsOn: ["db"] },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.topology;
}

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
function container(service: string, over: Partial<ContainerState> = {}): ContainerState {
  return {
    id: service,
    name: `t-${service}-1`,
    project: "t",
    service,
    topology: "t",
    node: service,
    configFiles: [],
    image: `${service}:1`,
    status: "running",
    exitCode: 0,
    health: service === "db" ? "healthy" : "",
    startedAt: at(10),
    createdAt: at(10),
    restartCount: 0,
    healthLog: "",
    ...over,
  };
}

describe("assess", () => {
  it("is done when services with health are healthy and the others run", () => {
    expect(assess(topology(), [container("db"), container("web")])).toEqual({
      ready: ["db", "web"],
      waiting: [],
    });
  });

  it("waits on a service still starting and on one not created yet", () => {
    const a = assess(topology(), [container("db", { health: "starting" })]);
    expect(a.failure).toBeUndefined();
    expect(a.waiting).toEqual([
      { service: "db", state: "running, starting" },
      { service: "web", state: "not created" },
    ]);
  });

  it("names the service whose container exited, or whose health check fails with its output", () => {
    expect(
      assess(topology(), [container("db"), container("web", { status: "exited", exitCode: 3 })]).failure,
    ).toEqual({ service: "web", reason: "its container exited with code 3" });
    const sick = container("db", { health: "unhealthy", healthLog: "connection refused\nmore" });
    expect(assess(topology(), [sick]).failure).toEqual({
      service: "db",
      reason: "its health check fails: connection refused",
    });
  });

  it("does not judge the previous revision's containers while compose is still replacing them", () => {
    // Even when a crash-looping container of the previous revision was restarted after the rollout began.
    const old = container("web", { status: "restarting", exitCode: 1, createdAt: at(0), startedAt: at(8) });
    expect(assess(topology(), [container("db"), old], { judgeSince: T0 + 5000 }).failure).toBeUndefined();
    expect(assess(topology(), [container("db"), old]).failure?.service).toBe("web");
  });

  it("waits on the exited containers of a revision being checked until compose has started them", () => {
    const exited = container("web", { status: "exited", exitCode: 143 });
    const a = assess(topology(), [container("db"), exited], { failures: false });
    expect(a.failure).toBeUndefined();
    expect(a.waiting).toEqual([{ service: "web", state: "exited" }]);
    expect(assess(topology(), [container("db"), exited]).failure?.service).toBe("web");
  });

  it("counts restarts during this rollout as a crash loop, but not restarts from before it", () => {
    const looping = container("web", { restartCount: 2, startedAt: at(20) });
    expect(assess(topology(), [container("db"), looping], { rolloutSince: T0 + 5000 }).failure).toEqual({
      service: "web",
      reason: "its container keeps restarting (2 restarts)",
    });
    const longAgo = container("web", { restartCount: 2, startedAt: at(0) });
    expect(
      assess(topology(), [container("db"), longAgo], { rolloutSince: T0 + 5000 }).failure,
    ).toBeUndefined();
  });
});

describe("chooseRevision", () => {
  const attempt = (revision: number, hash: string, outcome: HistoryEntry["outcome"]): HistoryEntry => ({
    revision,
    hash,
    outcome,
    at: at(0),
  });
  const state = (over: Partial<LocalState>): LocalState => ({
    topology: "t",
    file: "/t.yaml",
    revision: 0,
    history: [],
    ...over,
  });

  it.each<[string, LocalState, string, number[], ReturnType<typeof chooseRevision>]>([
    ["starts revision 1 where nothing ran", state({}), "a", [], { revision: 1, verb: "starting" }],
    [
      "checks the last good revision when its compose file is unchanged",
      state({
        revision: 2,
        lastGoodRevision: 2,
        history: [attempt(1, "a", "Succeeded"), attempt(2, "b", "Succeeded")],
      }),
      "b",
      [1, 2],
      { revision: 2, verb: "checking" },
    ],
    [
      "retries the same revision when its last attempt failed (the engine restarted)",
      state({
        revision: 2,
        lastGoodRevision: 1,
        history: [attempt(1, "a", "Succeeded"), attempt(2, "b", "Failed")],
      }),
      "b",
      [1, 2],
      { revision: 2, verb: "retrying" },
    ],
    [
      "starts a new revision after a rollback, numbered after every kept one",
      state({
        revision: 1,
        lastGoodRevision: 1,
        history: [attempt(1, "a", "Succeeded"), attempt(2, "b", "RolledBack")],
      }),
      "b",
      [1, 2, 4],
      { revision: 5, verb: "starting" },
    ],
  ])("%s", (_case, s, hash, kept, want) => expect(chooseRevision(s, hash, kept)).toEqual(want));
});
