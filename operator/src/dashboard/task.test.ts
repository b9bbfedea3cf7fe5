// Tasks in the dashboard's model: marked as tasks, their phase from status or from their container, and a
// task that succeeded counted with the nodes that serve.
import { resolve } from "../../../test/unit/fixtures.ts";
import { taskPhase } from "./compose-source.ts";
import { fromResolved, toDetail, toSummary } from "./model.ts";

const shop = resolve({
  nodes: [
    { name: "db", image: "db:1", ports: [{ name: "pg", port: 5432 }] },
    { name: "migrate", image: "m:1", task: { retries: 1 }, dependsOn: ["db"] },
    { name: "api", image: "api:1", dependsOn: ["migrate"] },
  ],
});

describe("a task in the dashboard", () => {
  const observed = (migrate: string) => ({
    namespace: "ns",
    name: "shop",
    source: "kube" as const,
    declared: shop.nodes.map(fromResolved),
    status: {
      phase: "Ready",
      nodes: [
        { name: "db", replicas: 1, readyReplicas: 1, phase: "Ready" as const },
        { name: "migrate", replicas: 1, readyReplicas: 1, phase: migrate as "Succeeded" },
        { name: "api", replicas: 1, readyReplicas: 1, phase: "Ready" as const },
      ],
    },
  });

  it("is a node of the graph, marked as a task with its settings, its edge to db a dependsOn", () => {
    const d = toDetail(observed("Succeeded"));
    expect(d.nodes.map((n) => [n.name, n.phase, n.task])).toEqual([
      ["db", "Ready", undefined],
      ["migrate", "Succeeded", { retries: 1, timeout: "5m" }],
      ["api", "Ready", undefined],
    ]);
    expect(d.edges).toContainEqual({ from: "migrate", to: "db", kind: "dependsOn" });
    expect(d.layers).toEqual([["db"], ["migrate"], ["api"]]);
  });

  it("counts as ready once it succeeded, not while it runs or after it failed", () => {
    expect(toSummary(observed("Succeeded")).readyNodes).toBe(3);
    expect(toSummary(observed("Running")).readyNodes).toBe(2);
    expect(toSummary(observed("Failed")).readyNodes).toBe(2);
  });

  it.each([
    [undefined, "Pending"],
    [{ status: "created", exitCode: 0 }, "Waiting"],
    [{ status: "running", exitCode: 0 }, "Running"],
    [{ status: "exited", exitCode: 0 }, "Succeeded"],
    [{ status: "exited", exitCode: 3 }, "Failed"],
  ])("reads a Compose task container %j as %s", (container, phase) => {
    expect(taskPhase(container)).toBe(phase);
  });
});
