// Large groups drawn as one shape (operator/src/dashboard/groups.ts) over topologies resolved by the
// real model: a generator of GROUP_MIN or more nodes, or a written-out mesh, collapses; its edges in and out
// end at the group; a member that is not Ready stays drawn; an opened group is drawn node by node;
// the grouped view the server sends (groupedDetail) carries what is drawn, and counts the rest.
import { parseTopology } from "../../../operator/src/api/parse.ts";
import { fromResolved, toDetail } from "../../../operator/src/dashboard/model.ts";
import type { TopologyDetail } from "../../../operator/src/dashboard/types.ts";
import {
  collapse,
  findGroups,
  GROUP_MIN,
  groupedDetail,
  healthSummary,
  MESH_EDGES,
} from "../../../operator/src/dashboard/groups.ts";

function detail(spec: Record<string, unknown>, notReady: Record<string, string> = {}): TopologyDetail {
  const parsed = parseTopology({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: "t" },
    spec,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const d = toDetail({
    namespace: "ns",
    name: "t",
    source: "kube",
    declared: parsed.topology.nodes.map(fromResolved),
    status: {},
  });
  return { ...d, nodes: d.nodes.map((n) => ({ ...n, phase: (notReady[n.name] ?? "Ready") as never })) };
}

const image = "svc:1";
const lab = (count: number) => ({
  nodes: [
    { name: "store", image },
    { name: "ui", image, connectsTo: ["mesh-0"] },
  ],
  generators: [{ prefix: "mesh", count, shape: "mesh", template: { image, dependsOn: ["store"] } }],
});

describe("collapse", () => {
  it("draws a generator of GROUP_MIN nodes as one group with its count, health and edges in and out", () => {
    const d = detail(lab(40), { "mesh-3": "Degraded", "mesh-7": "Progressing" });
    const [group, ...others] = findGroups(d);
    expect(others).toEqual([]);
    expect(group).toMatchObject({ id: "group:mesh", name: "mesh", shape: "mesh" });
    expect(group!.members).toHaveLength(40);
    expect(healthSummary(group!)).toBe("40 nodes: 38 Ready, 1 Degraded, 1 Progressing");
    const view = collapse(d, new Set());
    // The nodes that are not Ready stay drawn, beside the group; the other 38 are inside it.
    expect(view.nodes.map((n) => n.name).sort()).toEqual(["mesh-3", "mesh-7", "store", "ui"]);
    const edges = view.edges.map((e) => `${e.from}>${e.to}:${e.kind}`).sort();
    expect(edges).toContain("group:mesh>store:dependsOn"); // 38 dependsOn edges, drawn once
    expect(edges).toContain("ui>group:mesh:connectsTo"); // ui connects to mesh-0, inside the group
    expect(edges).toContain("mesh-3>mesh-7:connectsTo");
    expect(edges).toContain("mesh-3>group:mesh:connectsTo");
    expect(edges).toContain("group:mesh>mesh-3:connectsTo");
    expect(edges.filter((e) => e === "group:mesh>store:dependsOn")).toHaveLength(1);
    expect(edges.some((e) => e.startsWith("group:mesh>group:mesh"))).toBe(false);
    expect(view.edges.length).toBeLessThan(20);
  });

  it("draws an opened group node by node, with every edge", () => {
    const d = detail(lab(40));
    const view = collapse(d, new Set(["group:mesh"]));
    expect(view.groups).toEqual([]);
    expect(view.nodes).toHaveLength(42);
    expect(view.edges).toHaveLength(d.edges.length);
  });

  it("leaves generators smaller than GROUP_MIN as they are", () => {
    const d = detail(lab(GROUP_MIN - 1));
    expect(findGroups(d)).toEqual([]);
    expect(collapse(d, new Set()).nodes).toHaveLength(GROUP_MIN + 1);
  });

  it("finds a mesh written out node by node, and nothing in nodes that only share neighbours", () => {
    const names = Array.from({ length: 30 }, (_, i) => `conn-${i}`);
    const mesh = detail({
      nodes: names.map((name) => ({ name, image, connectsTo: names.filter((x) => x !== name) })),
    });
    expect(findGroups(mesh).map((g) => [g.id, g.shape, g.members.length])).toEqual([
      ["group:conn-0", "mesh", 30],
    ]);
    const view = collapse(mesh, new Set());
    expect([view.nodes.length, view.groups.length, view.edges.length]).toEqual([0, 1, 0]);
    // 30 spokes around one hub: each connects to the hub only, which is no clique.
    const star = detail({
      nodes: [{ name: "hub", image }, ...names.map((name) => ({ name, image, connectsTo: ["hub"] }))],
    });
    expect(findGroups(star)).toEqual([]);
  });
});

describe("groupedDetail (GET ...?view=grouped)", () => {
  const names = Array.from({ length: 60 }, (_, i) => `conn-${i}`);
  const spec = {
    nodes: [
      { name: "ui", image, connectsTo: ["conn-0"] },
      ...names.map((name) => ({ name, image, connectsTo: names.filter((x) => x !== name) })),
    ],
  };

  it("sends a collapsed group as one entry, with its not-Ready members, the edges drawn and the rest counted", () => {
    const d = detail(spec, { "conn-5": "Degraded" });
    const g = groupedDetail(d, new Set());
    expect(g.groups!.map((x) => [x.id, x.members.length, x.alone, x.phases])).toEqual([
      ["group:conn-0", 60, ["conn-5"], { Ready: 59, Degraded: 1 }],
    ]);
    expect(g.edgeCount).toBe(d.edges.length);
    expect(g.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual([
      "conn-5>group:conn-0",
      "group:conn-0>conn-5",
      "ui>group:conn-0",
    ]);
    // Every node stays (the node list), each member without the 59 others it connects to, counted.
    expect(g.nodes).toHaveLength(61);
    const member = g.nodes.find((n) => n.name === "conn-1")!;
    expect([member.connectsTo, member.connectsWithin]).toEqual([[], 59]);
    expect(g.nodes.find((n) => n.name === "ui")!.connectsTo).toEqual(["conn-0"]);
    expect(JSON.stringify(g).length).toBeLessThan(JSON.stringify(d).length / 5);
  });

  it("sends an opened mesh of more than MESH_EDGES edges as its nodes without its lines, counted", () => {
    const d = detail(spec);
    const g = groupedDetail(d, new Set(["group:conn-0"]));
    expect(g.groups).toEqual([]);
    expect(60 * 59).toBeGreaterThan(MESH_EDGES);
    expect(g.meshes).toEqual([{ id: "group:conn-0", name: "conn-0…", members: names, edges: 60 * 59 }]);
    expect(g.edges).toEqual([{ from: "ui", to: "conn-0", kind: "connectsTo" }]);
    expect(g.nodes.find((n) => n.name === "conn-1")!.connectsWithin).toBe(59);
  });

  it("sends an opened group below MESH_EDGES with every edge, and a small topology as it is", () => {
    const d = detail(lab(40));
    const g = groupedDetail(d, new Set(["group:mesh"]));
    expect([g.groups, g.meshes]).toEqual([[], undefined]);
    expect(g.edges).toEqual(d.edges);
    const small = detail(lab(3));
    expect(groupedDetail(small, new Set())).toEqual({ ...small, groups: [], edgeCount: small.edges.length });
  });
});
