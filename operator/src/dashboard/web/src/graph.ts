// The graph view: cytoscape (canvas rendering, built-in zoom and pan, no install scripts). Elements are
// rebuilt only when the set of nodes or edges changes; a status change only restyles nodes in place. A
// large group (groups.ts) comes from the server as one shape with its count and health, and is drawn so
// until it is tapped, which asks the server for it opened; "Collapse groups" closes them again.
import cytoscape, { type Core, type ElementDefinition, type LayoutOptions } from "cytoscape";
import { healthSummary } from "../../groups.ts";
import type { GraphGroup, GraphNode, TopologyDetail } from "../../types.ts";
import { DENSE_EDGES, presetPositions } from "./layout.ts";
import { look, TASK_SHAPE } from "./phases.ts";

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      shape: "data(shape)" as never,
      "background-color": "data(color)",
      "border-width": 2,
      "border-color": "#1b1f24",
      width: 28,
      height: 28,
      "font-size": 11,
      "text-valign": "bottom",
      "text-margin-y": 4,
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.8,
      "text-background-padding": "1px",
      "min-zoomed-font-size": 7,
    },
  },
  // A collapsed group: a large double-bordered shape, labelled with its count and health.
  {
    selector: "node[?group]",
    style: {
      width: "data(size)",
      height: "data(size)",
      "border-width": 6,
      "border-style": "double",
      "font-size": 13,
      "font-weight": "bold",
      "text-wrap": "wrap",
      "background-opacity": 0.85,
    },
  },
  // An opened full mesh: one faint disc under its nodes stands for its n(n-1) lines.
  {
    selector: "node[?hull]",
    style: {
      width: "data(size)",
      height: "data(size)",
      shape: "ellipse",
      "background-color": "#8a94a6",
      "background-opacity": 0.12,
      "border-width": 2,
      "border-style": "dashed",
      "border-color": "#8a94a6",
      // In the middle of the disc, at a size read when the whole mesh is fitted (zoom about 0.3).
      "font-size": "data(font)",
      "min-zoomed-font-size": 0,
      "text-valign": "center",
      "text-margin-y": 0,
      "text-wrap": "wrap",
      "text-background-opacity": 0,
      "z-index": 0,
      events: "no",
    },
  },
  // The lines of a selected member of such a mesh.
  { selector: "edge[?spoke]", style: { "line-color": "#0b57d0", opacity: 0.45, width: 1 } },
  // A task: a wider rhomboid (TASK_SHAPE), a shape no phase of a serving node has.
  { selector: "node[?task]", style: { width: 40 } },
  { selector: "node:selected", style: { "border-width": 5, "border-color": "#0b57d0" } },
  // A plan shown on the graph: what applying a document would do to each node.
  { selector: 'node[plan = "restart"]', style: { "border-width": 5, "border-color": "#e65100" } },
  { selector: 'node[plan = "update"]', style: { "border-width": 5, "border-color": "#1565c0" } },
  {
    selector: 'node[plan = "delete"]',
    style: { "border-width": 5, "border-color": "#c62828", "border-style": "dotted", opacity: 0.55 },
  },
  {
    selector: 'node[plan = "create"]',
    style: {
      "border-width": 4,
      "border-color": "#2e7d32",
      "border-style": "dashed",
      "background-color": "#ffffff",
    },
  },
  {
    selector: 'edge[kind = "connectsTo"]',
    style: {
      "curve-style": "haystack",
      "haystack-radius": 0,
      width: 1.2,
      "line-color": "#8a94a6",
      opacity: 0.75,
    },
  },
  {
    selector: 'edge[kind = "dependsOn"]',
    style: {
      "curve-style": "bezier",
      width: 2,
      "line-style": "dashed",
      "line-color": "#5b3cc4",
      "target-arrow-shape": "triangle",
      "target-arrow-color": "#5b3cc4",
      "arrow-scale": 1.3,
    },
  },
];

/** Thousands of lines (a big mesh): faint, so the nodes and their phases stay visible on top. */
const DENSE: cytoscape.StylesheetJson = [
  { selector: 'edge[kind = "connectsTo"]', style: { width: 1, opacity: 0.12 } },
];

function nodeData(n: GraphNode) {
  const l = look(n.phase);
  return {
    id: n.name,
    label: `${l.glyph} ${n.name}`,
    phase: n.phase,
    color: l.color,
    // A task keeps its own shape in every phase (Waiting too): it runs to completion, it does not serve.
    shape: n.task ? TASK_SHAPE : l.shape,
    task: Boolean(n.task),
  };
}

/** The shape a group is drawn as: its generator's shape, as a word ("mesh ×250"), on a round shape. */
function groupData(g: GraphGroup) {
  return {
    id: g.id,
    label: `▣ ${g.name} (${g.shape || "group"} ×${g.members.length})\n${healthSummary(g)}`,
    phase: "Group",
    color: "#2e7d32",
    shape: g.shape === "linear" ? "round-rectangle" : "ellipse",
    group: true,
    size: Math.round(40 + 12 * Math.log2(g.members.length)),
  };
}

/** For a hand-written graph without dependsOn (the others have preset positions): force-directed. */
export function layoutFor(nodes: number): LayoutOptions {
  const base = { animate: false, fit: true, padding: 30 } as const;
  if (nodes <= 60)
    return { ...base, name: "cose", randomize: false, nodeRepulsion: () => 8000 } as LayoutOptions;
  const degree = (node: cytoscape.NodeSingular) => node.degree(false);
  return { ...base, name: "concentric", concentric: degree, minNodeSpacing: 12 };
}

export class GraphView {
  cy: Core;
  private big = false;
  private signature = "";
  /** ms from navigation start to the first frame drawn with a topology. */
  firstRenderMs?: number;
  renders = 0;
  private readonly container: HTMLElement;
  private readonly onSelect: (node: string | undefined) => void;
  /** Called when groups are opened or closed: the page then fetches the topology with openGroups(). */
  private readonly onGroups: () => void;
  /** Groups opened by a tap, by id; kept while the same topology (expandedFor) is shown. */
  private readonly expanded = new Set<string>();
  private expandedFor = "";
  private shown?: TopologyDetail;
  private readonly collapseButton: HTMLButtonElement;

  constructor(container: HTMLElement, onSelect: (node: string | undefined) => void, onGroups: () => void) {
    this.container = container;
    this.onSelect = onSelect;
    this.onGroups = onGroups;
    this.cy = this.create(false);
    this.collapseButton = document.createElement("button");
    this.collapseButton.type = "button";
    this.collapseButton.className = "collapse-groups";
    this.collapseButton.textContent = "Collapse groups";
    this.collapseButton.hidden = true;
    this.collapseButton.addEventListener("click", () => {
      this.expanded.clear();
      this.collapseButton.hidden = true;
      this.onGroups();
    });
    container.insertAdjacentElement("afterend", this.collapseButton);
  }

  /** The groups to ask the server for opened, for the topology "namespace/name". */
  openGroups(key: string): string[] {
    return key === this.expandedFor ? [...this.expanded] : [];
  }

  /** Opens a collapsed group (by id: `group:<generator>`) into its nodes. */
  expand(group: string): void {
    if (this.expanded.has(group)) return;
    this.expanded.add(group);
    this.onGroups();
  }

  /** Big meshes draw a texture while panning/zooming instead of every edge each frame (init-only options). */
  private create(big: boolean): Core {
    this.big = big;
    const cy = cytoscape({
      container: this.container,
      style: big ? [...STYLE, ...DENSE] : STYLE,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      boxSelectionEnabled: false,
      selectionType: "single",
      hideEdgesOnViewport: big,
      textureOnViewport: big,
    });
    cy.on("tap", "node", (e) => {
      if (e.target.data("group")) this.expand(e.target.id() as string);
      else this.onSelect(e.target.id() as string);
    });
    cy.on("tap", (e) => {
      if (e.target === cy) this.onSelect(undefined);
    });
    return cy;
  }

  /**
   * Calls back in the animation frame in which cytoscape next draws. Its canvas renderer emits "render",
   * its WebGL one nothing: both count their draws (redrawCount), which is looked at after cytoscape's own
   * frame callback (registered before this one) has run.
   */
  private afterDraw(fn: () => void): void {
    const cy = this.cy;
    const draws = () =>
      (cy as unknown as { renderer(): { redrawCount?: number } }).renderer().redrawCount ?? 0;
    const before = draws();
    const check = () => {
      if (cy !== this.cy || cy.destroyed()) return;
      if (draws() > before) fn();
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }

  show(d: TopologyDetail): void {
    const id = `${d.namespace}/${d.name}`;
    if (id !== this.expandedFor) {
      this.expanded.clear();
      this.expandedFor = id;
    }
    this.shown = d;
    performance.mark("topo:collapse");
    // What the server sent, grouped: a collapsed group's Ready members are drawn as the group.
    const groups = d.groups ?? [];
    const inside = new Set(
      groups.flatMap((g) => {
        const alone = new Set(g.alone);
        return g.members.filter((m) => !alone.has(m));
      }),
    );
    const view = { nodes: d.nodes.filter((n) => !inside.has(n.name)), groups, edges: d.edges };
    this.collapseButton.hidden = this.expanded.size === 0;
    const sig = `${id}|${view.nodes.map((n) => n.name).join(",")}|${view.groups
      .map((g) => g.id)
      .join(",")}|${view.edges.map((e) => `${e.from}>${e.to}:${e.kind}`).join(",")}`;
    if (sig !== this.signature) {
      this.signature = sig;
      const big = view.edges.length > DENSE_EDGES;
      if (big !== this.big) {
        this.cy.destroy();
        this.cy = this.create(big);
      }
      performance.mark("topo:elements");
      // A connectsTo pair in both directions is one line (a mesh has n(n-1) edges: half as many to draw).
      const keyOf = (from: string, to: string, kind: string) => `${from}\u0000${to}\u0000${kind}`;
      const all = new Set(view.edges.map((e) => keyOf(e.from, e.to, e.kind)));
      // Positions of the whole graph: a group sits at the middle of its members, and the members drawn on
      // their own (not Ready) on a small circle around it, close enough to read at the zoom that fits.
      const pos = presetPositions(d);
      const drawnPos: Record<string, { x: number; y: number }> = {};
      const hulls: ElementDefinition[] = [];
      for (const g of view.groups) {
        const at = pos && g.members.map((m) => pos[m]!).filter(Boolean);
        if (!at?.length) continue;
        const c = {
          x: at.reduce((s, p) => s + p.x, 0) / at.length,
          y: at.reduce((s, p) => s + p.y, 0) / at.length,
        };
        drawnPos[g.id] = c;
        const alone = g.alone;
        const r = groupData(g).size / 2 + 60 + 6 * alone.length;
        alone.forEach((m, i) => {
          const angle = (2 * Math.PI * i) / alone.length - Math.PI / 2;
          drawnPos[m] = { x: c.x + r * Math.cos(angle), y: c.y + r * Math.sin(angle) };
        });
      }
      // An opened full mesh sent without its lines: a disc around its members stands for them.
      for (const m of d.meshes ?? []) {
        const at = pos && m.members.map((n) => pos[n]!).filter(Boolean);
        if (!at?.length) continue;
        const c = {
          x: at.reduce((sum, p) => sum + p.x, 0) / at.length,
          y: at.reduce((sum, p) => sum + p.y, 0) / at.length,
        };
        const r = Math.max(...at.map((p) => Math.hypot(p.x - c.x, p.y - c.y))) + 50;
        hulls.push({
          group: "nodes",
          data: {
            id: m.id,
            hull: true,
            phase: "Mesh",
            size: Math.round(2 * r),
            font: Math.max(14, Math.round(r / 16)),
            label: `${m.name} (mesh ×${m.members.length}), each connecting to the other ${m.members.length - 1}\n${m.edges.toLocaleString("en")} edges: select a node to draw its own`,
          },
          position: c,
        });
      }
      const place = (id: string) => drawnPos[id] ?? pos?.[id];
      const elements: ElementDefinition[] = [...hulls];
      for (const n of view.nodes)
        elements.push({
          group: "nodes",
          data: nodeData(n),
          ...(place(n.name) ? { position: place(n.name) } : {}),
        });
      for (const g of view.groups)
        elements.push({
          group: "nodes",
          data: groupData(g),
          ...(place(g.id) ? { position: place(g.id) } : {}),
        });
      view.edges.forEach((e, i) => {
        const both = e.kind === "connectsTo" && all.has(keyOf(e.to, e.from, e.kind));
        if (both && e.from > e.to) return;
        elements.push({
          group: "edges",
          data: { id: `e${i}`, source: e.from, target: e.to, kind: e.kind, both },
        });
      });
      this.cy.batch(() => {
        this.cy.elements().remove();
        this.cy.add(elements);
      });
      performance.mark("topo:added");
      if (pos) this.cy.fit(this.cy.nodes(), 30);
      else this.cy.layout(layoutFor(view.nodes.length + view.groups.length)).run();
      performance.mark("topo:layout");
      // A handful of nodes would be fitted to a giant zoom: keep them at a readable size instead.
      if (this.cy.zoom() > 1.3) {
        this.cy.zoom(1.3);
        this.cy.center();
      }
      this.afterDraw(() => {
        this.renders++;
        this.firstRenderMs ??= performance.now();
        performance.mark("topo:render");
      });
    } else {
      this.cy.batch(() => {
        for (const n of view.nodes) this.cy.getElementById(n.name).data(nodeData(n));
        for (const g of view.groups) this.cy.getElementById(g.id).data(groupData(g));
      });
    }
    if (this.plan) this.showPlan(this.plan);
    const counts = d.nodes.reduce<Record<string, number>>(
      (a, n) => ((a[n.phase] = (a[n.phase] ?? 0) + 1), a),
      {},
    );
    this.cy.container()!.setAttribute(
      "aria-label",
      `Graph of ${d.name}: ${d.nodes.length} nodes (${Object.entries(counts)
        .map(([p, c]) => `${c} ${p}`)
        .join(", ")}), ${d.edgeCount ?? d.edges.length} edges. The node list below has the same nodes.`,
    );
  }

  private plan?: Record<string, string>;

  /**
   * Marks each node with what a plan would do to it (restart, update, delete, create); nodes it creates are
   * drawn beside the graph, outlined. Undefined clears it. Kept across status updates until cleared.
   */
  showPlan(verdicts: Record<string, string> | undefined): void {
    this.plan = verdicts;
    this.cy.batch(() => {
      this.cy.nodes("[?planned]").remove();
      this.cy.nodes().forEach((n) => void n.removeData("plan"));
      if (!verdicts) return;
      const box = this.cy.nodes().boundingBox({});
      let i = 0;
      for (const [name, verdict] of Object.entries(verdicts)) {
        const existing = this.cy.getElementById(name);
        if (existing.nonempty()) {
          if (verdict !== "unchanged") existing.data("plan", verdict);
          continue;
        }
        if (verdict !== "create") continue;
        const x = (Number.isFinite(box.x2) ? box.x2 : 0) + 60;
        const y = (Number.isFinite(box.y1) ? box.y1 : 0) + 50 * i++;
        this.cy.add({
          group: "nodes",
          data: {
            id: name,
            label: `+ ${name}`,
            phase: "Planned",
            color: "#ffffff",
            shape: "ellipse",
            plan: verdict,
            planned: true,
          },
          position: { x, y },
        });
      }
    });
    if (verdicts) this.cy.fit(this.cy.nodes(), 30);
  }

  select(node: string | undefined): void {
    this.cy.$(":selected").unselect();
    this.drawSpokes(node);
    // A node chosen in the list inside a collapsed group: the group opens to show it.
    if (node && this.cy.getElementById(node).empty() && this.shown) {
      const group = this.shown.groups?.find((g) => g.members.includes(node));
      if (group) this.expand(group.id);
    }
    if (node) this.cy.getElementById(node).select();
  }

  /** A selected member of an opened mesh drawn without its lines (groups.ts: meshes): its own lines. */
  private drawSpokes(node: string | undefined): void {
    const mesh = node ? this.shown?.meshes?.find((m) => m.members.includes(node)) : undefined;
    const drawn = this.cy.edges("[?spoke]");
    if (mesh && drawn.nonempty() && drawn[0]!.data("source") === node) return;
    this.cy.batch(() => {
      drawn.remove();
      if (!mesh || !node || this.cy.getElementById(node).empty()) return;
      this.cy.add(
        mesh.members
          .filter((m) => m !== node)
          .map((m) => ({
            group: "edges" as const,
            data: { id: `spoke:${m}`, source: node, target: m, kind: "connectsTo", both: true, spoke: true },
          })),
      );
    });
  }

  clear(): void {
    this.signature = "";
    this.plan = undefined;
    this.cy.elements().remove();
  }

  /** The model as drawn, for tests (`window.__topo.graph()`). */
  model() {
    return {
      nodes: this.cy.nodes().map((n) => ({
        id: n.id(),
        phase: n.data("phase") as string,
        shape: n.data("shape") as string,
        task: n.data("task") === true,
        ...(n.data("plan") ? { plan: n.data("plan") as string } : {}),
        // A group's label (count and health) and where it is on screen, to be tapped open.
        ...(n.data("group") ? { label: n.data("label") as string, at: n.renderedPosition() } : {}),
      })),
      // One line may stand for both directions of a connectsTo pair: list both, as the API does.
      edges: this.cy
        .edges()
        .map((e) => {
          const edge = {
            source: e.source().id(),
            target: e.target().id(),
            kind: e.data("kind") as string,
            lineStyle: e.style("line-style") as string,
            arrow: e.style("target-arrow-shape") as string,
          };
          return e.data("both") ? [edge, { ...edge, source: edge.target, target: edge.source }] : [edge];
        })
        .flat(),
    };
  }
}
