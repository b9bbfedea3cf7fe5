import { toSummary, type ObservedTopology } from "./model.ts";
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
