// Task nodes on Compose, over a scripted engine: which tasks a revision runs, and how a run is judged.
import { parseTopology } from "../api/parse.ts";
import type { Topology } from "../api/topology.ts";
import type { IoContext } from "../io.ts";
import type { Compose } from "./compose.ts";
import type { ContainerState } from "./docker.ts";
import { assess } from "./runtime.ts";
import { attemptOf, pendingTasks, runTasks, taskHashes, taskPhase } from "./tasks.ts";

function shop(task: Record<string, unknown> = {}, command = "migrate"): Topology {
  const r = parseTopology({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: "t" },
    spec: {
      nodes: [
        { name: "db", image: "db:1", health: { exec: { command: ["true"] } } },
        { name: "migrate", image: "m:1", command: [command], task, dependsOn: ["db"] },
        { name: "web", image: "web:1", dependsOn: ["migrate"] },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.topology;
}

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(ms).toISOString();
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
    health: "",
    startedAt: at(T0),
    createdAt: at(T0),
    restartCount: 0,
    healthLog: "",
    ...over,
  };
}

describe("which tasks a revision runs", () => {
  const hash = taskHashes(shop()).get("migrate")!;
  it.each([
    ["no container of it", [], ["migrate"]],
    [
      "one that ran this configuration to exit 0",
      [container("migrate", { configHash: hash, status: "exited" })],
      [],
    ],
    [
      "one that exited 3",
      [container("migrate", { configHash: hash, status: "exited", exitCode: 3 })],
      ["migrate"],
    ],
    [
      "one of another configuration",
      [container("migrate", { configHash: "other", status: "exited" })],
      ["migrate"],
    ],
    ["one still running", [container("migrate", { configHash: hash })], ["migrate"]],
  ])("runs it given %s", (_what, containers, pending) => {
    expect(pendingTasks(shop(), containers)).toEqual(pending);
  });

  it("hashes what the task runs: its command changes it, another node does not", () => {
    expect(taskHashes(shop({}, "other")).get("migrate")).not.toBe(hash);
    const more = parseTopology({
      apiVersion: "topo.dev/v1alpha1",
      kind: "Topology",
      metadata: { name: "t" },
      spec: {
        nodes: [
          { name: "db", image: "db:2", health: { exec: { command: ["true"] } } },
          { name: "migrate", image: "m:1", command: ["migrate"], task: {}, dependsOn: ["db"] },
          { name: "web", image: "web:9", dependsOn: ["migrate"], connectsTo: ["db"] },
        ],
      },
    });
    expect(more.ok && taskHashes(more.topology).get("migrate")).toBe(hash);
  });
});

describe("a task's attempt", () => {
  const hash = "h";
  it.each([
    ["not created", [], { state: "waiting" }],
    [
      "created, waiting for db",
      [container("migrate", { configHash: hash, status: "created", startedAt: "0001-01-01T00:00:00Z" })],
      { state: "waiting" },
    ],
    [
      "an older run's exited container",
      [container("migrate", { configHash: hash, status: "exited", startedAt: at(T0 - 60_000) })],
      { state: "waiting" },
    ],
    [
      "running",
      [container("migrate", { configHash: hash, startedAt: at(T0 + 1000) })],
      { state: "running", startedAt: T0 + 1000 },
    ],
    [
      "exited 2",
      [container("migrate", { configHash: hash, status: "exited", exitCode: 2, startedAt: at(T0 + 1000) })],
      { state: "exited", exitCode: 2, startedAt: T0 + 1000 },
    ],
  ])("reads %s", (_what, containers, expected) => {
    expect(attemptOf("migrate", hash, containers, T0)).toEqual(expected);
  });
});

describe("a task's phase in topo status", () => {
  const run = (createdAt: number, status: string, exitCode = 0) =>
    container("migrate", { createdAt: at(createdAt), status, exitCode });
  it.each([
    ["no container", [], "Waiting"],
    ["created, not started", [run(T0, "created")], "Waiting"],
    ["running", [run(T0, "running")], "Running"],
    ["exited 0", [run(T0, "exited")], "Succeeded"],
    ["exited 3", [run(T0, "exited", 3)], "Failed (exit 3)"],
    [
      "a failed run, then a newer one that succeeded",
      [run(T0 + 1000, "exited"), run(T0, "exited", 1)],
      "Succeeded",
    ],
    [
      "a success, then a newer run that fails",
      [run(T0, "exited"), run(T0 + 1000, "exited", 1)],
      "Failed (exit 1)",
    ],
  ])("is %s → %s", (_what, containers, expected) => expect(taskPhase(containers)).toBe(expected));
});

describe("assess", () => {
  it("does not judge a task by its exited container: it ran before the rest", () => {
    const list = [
      container("db", { health: "healthy" }),
      container("migrate", { status: "exited", exitCode: 0 }),
      container("web"),
    ];
    expect(assess(shop(), list)).toEqual({ ready: ["db", "web"], waiting: [] });
  });
});

describe("runTasks", () => {
  /** A compose whose every run is recorded, and an engine whose container lists follow a script. */
  function engine(topology: Topology, script: (now: number, calls: string[][]) => ContainerState[]) {
    const calls: string[][] = [];
    const out: string[] = [];
    const compose = {
      run: async (_p: unknown, args: string[]) => {
        calls.push(args);
        return { code: 0, stdout: "", stderr: "" };
      },
    } as unknown as Compose;
    const ctx = { stderr: { write: (s: string) => out.push(s) } } as unknown as IoContext;
    const run = () =>
      runTasks({
        ctx,
        compose,
        project: { name: "t", files: [] },
        topology,
        tasks: ["migrate"],
        list: async () => script(Date.now(), calls),
      });
    return { calls, out, run };
  }
  const hashOf = (t: Topology) => taskHashes(t).get("migrate")!;

  it("waits for the task to exit 0", async () => {
    const t = shop();
    const begin = Date.now();
    const e = engine(t, (now) =>
      now - begin < 500
        ? [
            container("migrate", {
              configHash: hashOf(t),
              status: "created",
              startedAt: "0001-01-01T00:00:00Z",
            }),
          ]
        : [container("migrate", { configHash: hashOf(t), status: "exited", startedAt: at(begin + 100) })],
    );
    expect(await e.run()).toBeUndefined();
    expect(e.calls).toEqual([["up", "-d", "migrate"]]);
    expect(e.out.join("")).toContain("migrate: succeeded");
  });

  it("runs it again up to its retries, then fails with its exit code", async () => {
    const t = shop({ retries: 1 });
    const begin = Date.now();
    const e = engine(t, (_now, calls) => {
      const starts = calls.filter((c) => c[0] === "start").length;
      return [
        container("migrate", {
          configHash: hashOf(t),
          status: "exited",
          exitCode: 1,
          startedAt: at(begin + 100 + starts * 1000),
        }),
      ];
    });
    expect(await e.run()).toEqual({
      service: "migrate",
      reason: "the task exited with code 1 in each of its 2 attempts",
    });
    expect(e.calls).toEqual([
      ["up", "-d", "migrate"],
      ["start", "migrate"],
    ]);
  });

  it("stops a task that runs past its timeout and fails", async () => {
    const t = shop({ timeout: "1s" });
    const begin = Date.now();
    const e = engine(t, () => [container("migrate", { configHash: hashOf(t), startedAt: at(begin - 500) })]);
    expect(await e.run()).toEqual({
      service: "migrate",
      reason: "the task ran past its timeout of 1s, and was stopped",
    });
    expect(e.calls.at(-1)).toEqual(["kill", "migrate"]);
  });
});
