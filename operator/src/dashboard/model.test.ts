import { resolve } from "../../../test/unit/fixtures.ts";
import { fromResolved, toDetail, toSummary, type ObservedTopology } from "./model.ts";
import type { NodePhase } from "./types.ts";

const observed = (phases: NodePhase[], phase: string): ObservedTopology => ({
  namespace: "ns",
  name: "web",
  source: "kube",
  declared: [],
  status: {
    phase,
    nodes: phases.map((p, i) => ({
      name: `n${i}`,
      replicas: 1,
      readyReplicas: p === "Progressing" ? 0 : 1,
      phase: p,
    })),
  },
});

describe("toSummary", () => {
  it.each<[string, NodePhase[], string, number]>([
    ["counts Ready nodes", ["Ready", "Ready", "Progressing"], "Progressing", 2],
    [
      "counts nodes rolled back to the last good revision as ready: they serve again",
      ["RolledBack", "RolledBack", "RolledBack"],
      "RolledBack",
      3,
    ],
    ["does not count Waiting or Degraded nodes", ["Waiting", "Degraded", "Ready"], "Degraded", 1],
  ])("%s", (_case, phases, phase, ready) => {
    expect(toSummary(observed(phases, phase))).toMatchObject({
      readyNodes: ready,
      totalNodes: phases.length,
      phase,
    });
  });
});

describe("toDetail", () => {
  it("carries on how many cluster nodes a node's Ready pods run, and nothing for a node without", () => {
    const declared = resolve({
      nodes: [
        { name: "api", image: "api:1", replicas: 3 },
        { name: "db", image: "db:1" },
      ],
    }).nodes.map(fromResolved);
    const d = toDetail({
      namespace: "ns",
      name: "shop",
      source: "kube",
      declared,
      status: {
        phase: "Ready",
        nodes: [
          { name: "api", replicas: 3, readyReplicas: 3, phase: "Ready", spreadOver: 3 },
          { name: "db", replicas: 1, readyReplicas: 0, phase: "Progressing" },
        ],
      },
    });
    expect(d.nodes.map((n) => [n.name, n.spreadOver])).toEqual([
      ["api", 3],
      ["db", undefined],
    ]);
  });
});
