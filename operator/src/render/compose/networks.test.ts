import { resolve } from "../../../../test/unit/fixtures.ts";
import { COUNTS, expectedEdges, SHAPES, shapeTopology } from "../../../../test/e2e/compose-config/shapes.ts";
import { cliqueCover, renderCompose } from "./index.ts";

/** Which services share a network, read from the rendered document, as "a|b" pairs with a < b. */
function sharedPairs(doc: ReturnType<typeof renderCompose>): Set<string> {
  const members = new Map<string, string[]>();
  for (const [name, s] of Object.entries(doc.services))
    for (const net of Object.keys(s.networks as object)) members.set(net, [...(members.get(net) ?? []), name]);
  const pairs = new Set<string>();
  for (const m of members.values())
    for (const a of m) for (const b of m) if (a < b) pairs.add(`${a}|${b}`);
  return pairs;
}

describe("isolation links in compose: a clique cover of the edge graph", () => {
  const cases = SHAPES.flatMap((shape) => COUNTS.map((count) => [shape, count] as const));

  it.each(cases)("%s of %i: every edge shares a network and no other pair does", (shape, count) => {
    const doc = renderCompose(shapeTopology(shape, count));
    expect(sharedPairs(doc)).toEqual(expectedEdges(shape, count));
    for (const s of Object.values(doc.services)) expect(Object.keys(s.networks as object).length).toBeGreaterThan(0);
  });

  it("gives a node without edges a network of its own", () => {
    const doc = renderCompose(shapeTopology("mesh", 3));
    const nets = Object.keys(doc.services.lonely!.networks as object);
    expect(nets).toHaveLength(1);
    const others = Object.entries(doc.services).filter(([n]) => n !== "lonely");
    expect(others.some(([, s]) => nets[0]! in (s.networks as object))).toBe(false);
  });

  it("keeps a mesh with its shared dependency to one network, and a star to one per spoke", () => {
    // mesh: c-0..c-4 and store are all pairwise connected; plus lonely's own network.
    expect(Object.keys(renderCompose(shapeTopology("mesh", 5)).networks)).toEqual(["n0", "n1"]);
    // star: each spoke, the hub and store form a triangle; plus lonely's.
    expect(Object.keys(renderCompose(shapeTopology("star", 5)).networks)).toHaveLength(5);
  });

  it("names networks n0, n1... in a stable order", () => {
    const a = renderCompose(shapeTopology("ring", 8));
    expect(Object.keys(a.networks)).toEqual(Object.keys(a.networks).map((_, i) => `n${i}`));
    expect(JSON.stringify(renderCompose(shapeTopology("ring", 8)))).toBe(JSON.stringify(a));
  });

  it("covers random graphs exactly: every edge in a clique, every clique complete", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 60; round++) {
      const n = 1 + Math.floor(random() * 14);
      const density = random();
      const adjacent = Array.from({ length: n }, () => new Set<number>());
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++)
          if (random() < density) {
            adjacent[i]!.add(j);
            adjacent[j]!.add(i);
          }
      const cliques = cliqueCover(adjacent);
      for (const c of cliques)
        for (const a of c) for (const b of c) if (a !== b) expect(adjacent[a]!.has(b)).toBe(true);
      for (let i = 0; i < n; i++) {
        expect(cliques.some((c) => c.includes(i))).toBe(true);
        for (const j of adjacent[i]!) expect(cliques.some((c) => c.includes(i) && c.includes(j))).toBe(true);
      }
    }
  });

  it("counts connectsTo and dependsOn in either direction as one undirected edge", () => {
    const t = resolve({
      nodes: [
        { name: "a", image: "x", connectsTo: ["b"] },
        { name: "b", image: "x", dependsOn: ["a"] },
        { name: "c", image: "x", connectsTo: ["a"] },
      ],
    });
    expect(sharedPairs(renderCompose(t))).toEqual(new Set(["a|b", "a|c"]));
    expect(Object.keys(renderCompose(t).networks)).toHaveLength(2);
  });
});
