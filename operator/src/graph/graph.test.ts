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

describe("a task in the graph", () => {
  const shop = resolve({
    nodes: [
      { name: "db", image: "pg" },
      { name: "migrate", image: "m:1", task: {}, dependsOn: ["db"] },
      { name: "api", image: "api", dependsOn: ["migrate"] },
    ],
  });

  it("is a node of its own layer, marked as a task, between db and api", () => {
    const g = buildGraph(shop);
    expect(g.layers).toEqual([["db"], ["migrate"], ["api"]]);
    expect(g.nodes.map((n) => [n.name, n.task ?? false])).toEqual([
      ["db", false],
      ["migrate", true],
      ["api", false],
    ]);
  });

  it("is drawn in a shape of its own in DOT and Mermaid, and said to be a task", () => {
    expect(formatDot(buildGraph(shop))).toContain(
      '"migrate" [shape=cds, style="", label="migrate\\nm:1 (task)"];',
    );
    expect(formatMermaid(buildGraph(shop))).toContain('  migrate[["migrate<br/>m:1 (task)"]]');
    expect(formatMermaid(buildGraph(shop))).toContain("api ==>|dependsOn| migrate");
  });
});
