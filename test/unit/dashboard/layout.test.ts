// The dashboard's preset positions (operator/src/dashboard/web/src/layout.ts) over topologies resolved by
// the real model: layers stay in order, each generator keeps its shape, no two nodes share a spot.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseTopology } from "../../../operator/src/api/parse.ts";
import { fromResolved, toDetail } from "../../../operator/src/dashboard/model.ts";
import type { TopologyDetail } from "../../../operator/src/dashboard/types.ts";
import { presetPositions } from "../../../operator/src/dashboard/web/src/layout.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

function detail(spec: Record<string, unknown>): TopologyDetail {
  const parsed = parseTopology({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: "t" },
    spec,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return toDetail({
    namespace: "ns",
    name: "t",
    source: "kube",
    declared: parsed.topology.nodes.map(fromResolved),
    status: {},
  });
}
const generator = (prefix: string, shape: string, count: number, template: object = {}) => ({
  prefix,
  count,
  shape,
  template: { image: "svc:1", ...template },
});
const distance = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  Math.hypot(a.x - b.x, a.y - b.y);

describe("presetPositions", () => {
  const lab = detail(parse(readFileSync(join(ROOT, "examples/connector-lab.yaml"), "utf8")).spec);
  const pos = presetPositions(lab)!;

  it("gives every node of examples/connector-lab its own spot", () => {
    expect(Object.keys(pos).sort()).toEqual(lab.nodes.map((n) => n.name).sort());
    const spots = new Set(Object.values(pos).map((p) => `${Math.round(p.x)},${Math.round(p.y)}`));
    expect(spots.size).toBe(lab.nodes.length);
  });

  it("draws each dependsOn layer below the layer it depends on", () => {
    for (const e of lab.edges.filter((x) => x.kind === "dependsOn"))
      expect(pos[e.from]!.y).toBeGreaterThan(pos[e.to]!.y);
  });

  it("keeps each generator's shape: a chain side by side, a star's hub amid its spokes, a ring round", () => {
    expect(distance(pos["linear-0"]!, pos["linear-1"]!)).toBeCloseTo(90);
    const spokes = ["star-1", "star-2", "star-3", "star-4"].map((n) => distance(pos["star-0"]!, pos[n]!));
    for (const d of spokes) expect(d).toBeCloseTo(spokes[0]!);
    const ring = ["ring-0", "ring-1", "ring-2", "ring-3"].map((n) => pos[n]!);
    const center = { x: ring.reduce((s, p) => s + p.x, 0) / 4, y: ring.reduce((s, p) => s + p.y, 0) / 4 };
    for (const p of ring) expect(distance(center, p)).toBeCloseTo(distance(center, ring[0]!));
  });

  it("snakes a long chain into rows with every node beside the next", () => {
    const d = detail({ nodes: [], generators: [generator("n", "linear", 30)] });
    const p = presetPositions(d)!;
    for (let i = 0; i + 1 < 30; i++) expect(distance(p[`n-${i}`]!, p[`n-${i + 1}`]!)).toBeCloseTo(90);
  });

  it("places a dense hand-written graph on a circle", () => {
    const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
    const d = detail({
      nodes: names.map((name) => ({ name, image: "svc:1", connectsTo: names.filter((x) => x !== name) })),
    });
    const p = presetPositions(d)!;
    const radii = names.map((n) => distance({ x: 0, y: 0 }, p[n]!));
    for (const r of radii) expect(r).toBeCloseTo(radii[0]!);
  });

  it("leaves a small hand-written graph without dependsOn to a force-directed layout", () => {
    const d = detail({
      nodes: [
        { name: "a", image: "svc:1", connectsTo: ["b"] },
        { name: "b", image: "svc:1" },
      ],
    });
    expect(presetPositions(d)).toBeUndefined();
  });
});
