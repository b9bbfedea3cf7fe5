import { expandNodes, generatedNames, shapeEdges } from "./expand.ts";
import { TopologySpec } from "./schema.ts";

const edgeSet = (shape: "linear" | "ring" | "star" | "mesh", n: number) =>
  shapeEdges(shape, n).map(([a, b]) => `${a}>${b}`);

describe("shapeEdges", () => {
  it.each([1, 2, 3, 5, 10])("a linear chain of %i has n-1 edges, each to the next", (n) => {
    expect(edgeSet("linear", n)).toEqual(
      Array.from({ length: Math.max(0, n - 1) }, (_, i) => `${i}>${i + 1}`),
    );
  });
  it.each([2, 3, 5, 10])("a ring of %i closes back on the first node", (n) => {
    const edges = edgeSet("ring", n);
    expect(edges).toHaveLength(n);
    expect(edges).toContain(`${n - 1}>0`);
  });
  it("a ring of one node has no edges (no self-edge)", () => expect(edgeSet("ring", 1)).toEqual([]));
  it.each([1, 2, 5, 10])("a star of %i connects every spoke to the hub prefix-0", (n) => {
    expect(edgeSet("star", n)).toEqual(Array.from({ length: n - 1 }, (_, i) => `${i + 1}>0`));
  });
  it.each([1, 2, 4, 7])("a mesh of %i connects every ordered pair of distinct nodes", (n) => {
    const edges = edgeSet("mesh", n);
    expect(edges).toHaveLength(n * (n - 1));
    expect(new Set(edges).size).toBe(edges.length);
    expect(edges.every((e) => e.split(">")[0] !== e.split(">")[1])).toBe(true);
  });
});

describe("expandNodes", () => {
  const spec = TopologySpec.parse({
    defaults: {
      image: "base:1",
      env: [
        { name: "A", value: "default" },
        { name: "B", value: "default" },
      ],
      replicas: 2,
    },
    nodes: [{ name: "x", env: [{ name: "B", value: "own" }], replicas: 1 }],
    generators: [{ prefix: "c", count: 3, shape: "linear", template: { image: "conn:2", dependsOn: ["x"] } }],
  });
  const nodes = expandNodes(spec);

  it("names generated nodes prefix-0 .. prefix-(count-1) after the explicit ones", () => {
    expect(nodes.map((n) => n.name)).toEqual(["x", ...generatedNames({ prefix: "c", count: 3 })]);
  });
  it("lets a node's own value win over defaults and merges env by name", () => {
    expect(nodes[0]!.replicas).toBe(1);
    expect(nodes[0]!.image).toBe("base:1");
    expect(nodes[0]!.env).toEqual([
      { name: "A", value: "default" },
      { name: "B", value: "own" },
    ]);
  });
  it("puts the template over defaults and adds the shape's edges after the template's", () => {
    expect(nodes[1]).toMatchObject({ image: "conn:2", replicas: 2, dependsOn: ["x"], connectsTo: ["c-1"] });
    expect(nodes[3]!.connectsTo).toEqual([]);
  });
  it("remembers where each field came from, for messages", () => {
    expect(nodes[1]!.origin.fields.image).toEqual(["spec", "generators", 0, "template", "image"]);
    expect(nodes[0]!.origin.fields.image).toEqual(["spec", "defaults", "image"]);
  });
});
