// The dashboard over time: a topology's timeline (revisions as bands, each node's phases, rollbacks with
// their recovery time, Events), filtered by node and range, and the recovery-time chart against the
// 2-minute objective with each node's availability. Drawn as SVG from /api/.../timeline and
// /api/recoveries; reloaded with the selection, so it follows the live stream.
import { api } from "./api.ts";

interface RevisionRow {
  revision: number;
  at: string;
  until?: string;
  trigger: string;
  outcome: string;
  reason?: string;
  recoverySeconds?: number;
}
interface Recovery {
  at: string;
  trigger: string;
  from?: number;
  to?: number;
  recoverySeconds?: number;
  withinObjective?: boolean;
  topology: string;
}
export interface Timeline {
  since: string;
  until: string;
  revisions: RevisionRow[];
  phases: { at: string; node: string; phase: string }[];
  rollbacks: Recovery[];
  events: { at: string; node?: string; type: string; reason: string; message: string; object: string }[];
  availability: Record<string, number>;
  nodes: string[];
}
export interface Recoveries {
  objectiveSeconds: number;
  recoveries: Recovery[];
}

const SVG = "http://www.w3.org/2000/svg";
const W = 880;
const LEFT = 110;
const ROW = 22;
const $ = <T extends Element>(sel: string) => document.querySelector(sel) as T;

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
const title = (e: SVGElement, text: string) => e.appendChild(el("title", {}, text));
const fmt = (iso: string) => iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "Z");

/** Draws the timeline into #timeline-svg; exposed for the browser test through data attributes. */
export function drawTimeline(t: Timeline, node: string | undefined): void {
  const svg = $<SVGSVGElement>("#timeline-svg");
  svg.replaceChildren();
  // The range, or from a little before the first record when the records start later (a young topology).
  const t1 = Date.parse(t.until);
  const first = Math.min(...[...t.revisions, ...t.phases, ...t.events].map((r) => Date.parse(r.at)), t1);
  const t0 = Math.max(Date.parse(t.since), first - Math.max(1_000, (t1 - first) * 0.05));
  const x = (iso: string) =>
    LEFT + ((Math.min(Math.max(Date.parse(iso), t0), t1) - t0) / (t1 - t0)) * (W - LEFT - 10);
  const nodes = node ? [node] : t.nodes;
  const height = ROW * (nodes.length + 3) + 20;
  svg.setAttribute("viewBox", `0 0 ${W} ${height}`);
  svg.setAttribute("height", String(height));
  // Revisions as bands.
  svg.appendChild(el("text", { x: 4, y: ROW - 6, class: "tl-label" }, "revisions"));
  for (const r of t.revisions) {
    const a = x(r.at);
    const b = x(r.until ?? t.until);
    const g = el("g", { class: "tl-revision", "data-revision": r.revision, "data-outcome": r.outcome });
    g.appendChild(
      el("rect", { x: a, y: 4, width: Math.max(2, b - a), height: ROW - 6, class: `tl-out-${r.outcome}` }),
    );
    if (b - a > 24)
      g.appendChild(el("text", { x: a + 4, y: ROW - 6, class: "tl-band-text" }, `r${r.revision}`));
    title(
      g,
      `revision ${r.revision} (${r.trigger}) ${r.outcome} from ${fmt(r.at)}${r.reason ? `: ${r.reason}` : ""}`,
    );
    svg.appendChild(g);
  }
  // Each node's phases: a segment from each change to the next.
  nodes.forEach((n, i) => {
    const y = ROW * (i + 1) + 4;
    svg.appendChild(el("text", { x: 4, y: y + ROW - 10, class: "tl-label" }, n));
    const changes = t.phases.filter((p) => p.node === n);
    changes.forEach((p, j) => {
      const a = x(p.at);
      const b = x(changes[j + 1]?.at ?? t.until);
      const r = el("rect", {
        x: a,
        y,
        width: Math.max(2, b - a),
        height: ROW - 8,
        class: `tl-phase tl-ph-${p.phase}`,
        "data-node": n,
        "data-phase": p.phase,
      });
      title(r, `${n}: ${p.phase} from ${fmt(p.at)}`);
      svg.appendChild(r);
    });
  });
  // Rollbacks: a line across the nodes, labelled with the recovery time.
  const bottom = ROW * (nodes.length + 1) + 4;
  for (const rb of t.rollbacks) {
    const a = x(rb.at);
    const g = el("g", { class: "tl-rollback", "data-recovery": rb.recoverySeconds ?? "" });
    g.appendChild(el("line", { x1: a, x2: a, y1: 2, y2: bottom, class: "tl-rollback-line" }));
    g.appendChild(
      el(
        "text",
        a > W - 160
          ? { x: a - 3, y: bottom + 12, class: "tl-rollback-text", "text-anchor": "end" }
          : { x: a + 3, y: bottom + 12, class: "tl-rollback-text" },
        `↺ ${rb.from ?? "?"}→${rb.to ?? "?"} ${rb.recoverySeconds !== undefined ? `${rb.recoverySeconds.toFixed(1)}s` : "recovering"}`,
      ),
    );
    title(g, `${rb.trigger} rollback at ${fmt(rb.at)}`);
    svg.appendChild(g);
  }
  // Events as ticks.
  const ey = bottom + ROW;
  svg.appendChild(el("text", { x: 4, y: ey + 10, class: "tl-label" }, "events"));
  for (const e of t.events.filter((e) => !node || !e.node || e.node === node)) {
    const tick = el("rect", {
      x: x(e.at) - 1,
      y: ey,
      width: 3,
      height: 12,
      class: `tl-event tl-ev-${e.type}`,
    });
    title(tick, `${fmt(e.at)} ${e.type} ${e.reason} ${e.object}: ${e.message}`);
    svg.appendChild(tick);
  }
  svg.appendChild(el("text", { x: LEFT, y: height - 2, class: "tl-axis" }, fmt(new Date(t0).toISOString())));
  svg.appendChild(
    el("text", { x: W - 10, y: height - 2, class: "tl-axis", "text-anchor": "end" }, fmt(t.until)),
  );
  // Availability per node.
  const list = $<HTMLUListElement>("#availability");
  list.replaceChildren(
    ...nodes
      .filter((n) => t.availability[n] !== undefined)
      .map((n) => {
        const li = document.createElement("li");
        li.dataset.node = n;
        li.dataset.availability = String(t.availability[n]);
        li.textContent = `${n}: ${(t.availability[n]! * 100).toFixed(1)} % available`;
        return li;
      }),
  );
}

/** The recovery-time chart: one bar per rollback, the objective as a line. */
export function drawRecoveries(r: Recoveries): void {
  const svg = $<SVGSVGElement>("#recovery-svg");
  svg.replaceChildren();
  const H = 160;
  const done = r.recoveries.filter((x) => x.recoverySeconds !== undefined);
  const max = Math.max(r.objectiveSeconds * 1.25, ...done.map((x) => x.recoverySeconds!));
  const y = (s: number) => H - 20 - (s / max) * (H - 40);
  const bw = Math.min(40, (W - LEFT) / Math.max(1, done.length) - 6);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  done.forEach((x, i) => {
    const left = LEFT + i * (bw + 6);
    const g = el("g", {
      class: "rc-bar",
      "data-seconds": x.recoverySeconds!,
      "data-within": String(x.withinObjective),
    });
    g.appendChild(
      el("rect", {
        x: left,
        y: y(x.recoverySeconds!),
        width: bw,
        height: H - 20 - y(x.recoverySeconds!),
        class: x.withinObjective ? "rc-ok" : "rc-over",
      }),
    );
    g.appendChild(
      el(
        "text",
        { x: left + bw / 2, y: y(x.recoverySeconds!) - 3, "text-anchor": "middle", class: "tl-axis" },
        `${x.recoverySeconds!.toFixed(1)}s`,
      ),
    );
    title(g, `${x.trigger} rollback ${x.from ?? "?"}→${x.to ?? "?"} at ${fmt(x.at)}: ${x.recoverySeconds}s`);
    svg.appendChild(g);
  });
  const oy = y(r.objectiveSeconds);
  svg.appendChild(el("line", { x1: LEFT - 4, x2: W - 10, y1: oy, y2: oy, class: "rc-objective" }));
  svg.appendChild(
    el("text", { x: 4, y: oy + 4, class: "tl-label" }, `objective ${r.objectiveSeconds / 60} min`),
  );
  svg.appendChild(el("text", { x: 4, y: H - 6, class: "tl-label" }, `${done.length} recoveries`));
}

let shown: string | undefined;
/** Loads and draws the selected topology's timeline and recoveries; hides the section without a store. */
export async function showTimeline(key: string | undefined): Promise<void> {
  const section = $<HTMLDetailsElement>("#over-time");
  if (!key) return void (section.hidden = true);
  const [ns, name] = key.split("/") as [string, string];
  const range = $<HTMLSelectElement>("#tl-range").value;
  const nodeSelect = $<HTMLSelectElement>("#tl-node");
  if (shown !== key) nodeSelect.value = "";
  shown = key;
  const node = nodeSelect.value || undefined;
  try {
    const [t, r] = await Promise.all([api.timeline(ns, name, range, node), api.recoveries(ns, name, range)]);
    section.hidden = false;
    const options = ["", ...t.nodes].map((n) => {
      const o = document.createElement("option");
      o.value = n;
      o.textContent = n || "all nodes";
      return o;
    });
    nodeSelect.replaceChildren(...options);
    nodeSelect.value = node ?? "";
    drawTimeline(t, node);
    drawRecoveries(r);
    section.dataset.since = t.since;
    section.dataset.until = t.until;
  } catch {
    section.hidden = true; // no history store behind this dashboard (501), or not reachable
  }
}
