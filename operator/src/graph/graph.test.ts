import { resolve } from "../../../test/unit/fixtures.ts";
import { formatDot, formatMermaid } from "./format.ts";
import { buildGraph, orderLayers, resolveEdges } from "./graph.ts";

const topology = resolve({
  nodes: [
    { name: "db", image: "pg" },
    { name: "cache", image: "redis" },
    { name: "api", image: "api", dependsOn: ["db", "cache"], connectsTo: ["db"] },
    { name: "web", image: "web", dependsOn: ["api"] },
  ],
  generators: [{ prefix: "c", count: 3, shape: "star", template: { image: "conn", dependsOn: ["api"] } }],
});

describe("graph", () => {
  it("orders nodes in dependency layers", () => {
    expect(orderLayers(topology.nodes)).toEqual([["db", "cache"], ["api"], ["web", "c-0", "c-1", "c-2"]]);
  });

  it("draws one edge per pair, dependsOn winning over connectsTo", () => {
    const edges = resolveEdges(topology.nodes).map(
      (e) => `${e.from}${e.kind === "dependsOn" ? "=>" : "->"}${e.to}`,
    );
    expect(edges).toEqual([
      "api=>db",
      "api=>cache",
      "web=>api",
      "c-0=>api",
      "c-1=>api",
      "c-1->c-0",
      "c-2=>api",
      "c-2->c-0",
    ]);
  });

  it("marks generated nodes with their generator", () => {
    expect(
      buildGraph(topology)
        .nodes.filter((n) => n.generator === "c")
        .map((n) => n.name),
    ).toEqual(["c-0", "c-1", "c-2"]);
  });

  it("prints DOT with every node and edge, dependsOn drawn bold", () => {
    const dot = formatDot(buildGraph(topology));
    expect(dot).toMatch(/^digraph "demo" \{/);
    expect(dot).toContain('"api" -> "db" [style=bold, label="dependsOn"];');
    expect(dot).toContain('"c-1" -> "c-0";');
    expect(dot.match(/ -> /g)).toHaveLength(8);
  });

  it("prints Mermaid with thick arrows for dependsOn", () => {
    const m = formatMermaid(buildGraph(topology));
    expect(m.split("\n")[0]).toBe("flowchart LR");
    expect(m).toContain("web ==>|dependsOn| api");
    expect(m).toContain("c-2 --> c-0");
  });
});
