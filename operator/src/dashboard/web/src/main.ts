// The dashboard page: the overview of every topology, the selected topology's live graph, its node list,
// revision history and a node panel. Routes live in the hash: #/<namespace>/<name>[/<node>].
import { showTimeline } from "./timeline.ts";
import type {
  ChangeMessage,
  DashboardEvent,
  GraphNode,
  PlanResponse,
  TopologyDetail,
  TopologySummary,
} from "../../types.ts";
import { api, follow, PlanRefused, setToken, Unauthorized, type LiveState } from "./api.ts";
import { GraphView } from "./graph.ts";
import { PHASES, phaseBadge, TASK_SHAPE } from "./phases.ts";
import { route, takePrefetched } from "./prefetch.ts";
import { showSession } from "./session.ts";

const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

const state: {
  list: TopologySummary[];
  key?: string;
  node?: string;
  detail?: TopologyDetail;
  events: DashboardEvent[];
  updates: number;
  /** The plan shown on the graph, for the topology it was asked for. */
  plan?: { key: string; response: PlanResponse };
} = { list: [], events: [], updates: 0 };

performance.mark("topo:main");
const graph = new GraphView(
  $("#graph"),
  (node) => selectNode(node, false),
  () => refresh(),
);

function go(key: string | undefined, node?: string): void {
  const hash = key
    ? `#/${key.split("/").map(encodeURIComponent).join("/")}${node ? `/${encodeURIComponent(node)}` : ""}`
    : "";
  if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname);
  void load(key, node);
}

/** Arrow keys, Home and End move focus within a group of items (roving tabindex). */
function rove(items: HTMLElement[], onPick?: (el: HTMLElement) => void): void {
  items.forEach((item, i) => {
    item.addEventListener("keydown", (e) => {
      const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
      if (next !== undefined) {
        e.preventDefault();
        const target = items[Math.max(0, Math.min(items.length - 1, next))]!;
        items.forEach((x) => (x.tabIndex = -1));
        target.tabIndex = 0;
        target.focus();
      } else if (onPick && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        onPick(item);
      }
    });
  });
}

function renderOverview(): void {
  const body = $("#overview tbody");
  const focused = (document.activeElement as HTMLElement | null)?.dataset.key;
  body.replaceChildren();
  $("#empty").hidden = state.list.length > 0;
  const buttons: HTMLButtonElement[] = [];
  for (const t of state.list) {
    const key = `${t.namespace}/${t.name}`;
    const tr = el("tr");
    tr.dataset.key = key;
    if (key === state.key) tr.setAttribute("aria-current", "true");
    const b = el("button", t.name, "link");
    b.type = "button";
    b.dataset.key = key;
    b.tabIndex =
      key === (state.key ?? (state.list[0] && `${state.list[0].namespace}/${state.list[0].name}`)) ? 0 : -1;
    b.setAttribute(
      "aria-label",
      `${t.name} in ${t.namespace}: ${t.phase}, ${t.readyNodes} of ${t.totalNodes} nodes ready`,
    );
    b.addEventListener("click", () => go(key));
    buttons.push(b);
    const name = el("td");
    name.append(b);
    const phase = el("td");
    phase.append(phaseBadge(t.phase));
    const rb = t.lastRollback;
    tr.append(
      name,
      el("td", t.namespace),
      phase,
      el("td", `${t.readyNodes}/${t.totalNodes}`),
      el("td", t.revision !== undefined ? String(t.revision) : "–"),
      el("td", rb ? `rev ${rb.revision} at ${new Date(rb.at).toLocaleString()}` : "–"),
    );
    body.append(tr);
  }
  rove(buttons);
  if (focused) buttons.find((b) => b.dataset.key === focused)?.focus();
}

function renderLegend(): void {
  const legend = $("#legend");
  legend.replaceChildren();
  for (const phase of Object.keys(PHASES)) {
    const li = el("li");
    li.append(
      phaseBadge(phase),
      ` (${PHASES[phase]!.shape === TASK_SHAPE ? "a task" : PHASES[phase]!.shape})`,
    );
    legend.append(li);
  }
  const task = el("li");
  task.append(`task (${TASK_SHAPE}, in every phase): runs to completion once per revision that changes it`);
  legend.append(task);
  const c = el("li");
  c.append(el("span", "", "edge"), "connectsTo");
  const d = el("li");
  d.append(el("span", "", "edge depends"), "dependsOn (dashed, arrow to the dependency)");
  legend.append(c, d);
}

function renderNodeList(d: TopologyDetail): void {
  const list = $("#node-list");
  const focused = (document.activeElement as HTMLElement | null)?.dataset.node;
  list.replaceChildren();
  const items: HTMLElement[] = [];
  d.nodes.forEach((n, i) => {
    const li = el("li");
    li.setAttribute("role", "option");
    li.dataset.node = n.name;
    li.id = `node-${i}`;
    const selected = n.name === state.node;
    li.setAttribute("aria-selected", String(selected));
    li.tabIndex = selected || (!state.node && i === 0) ? 0 : -1;
    li.append(el("span", n.name), phaseBadge(n.phase));
    li.setAttribute(
      "aria-label",
      n.task
        ? `${n.name}: a task, ${n.phase}`
        : `${n.name}: ${n.phase}, ${n.readyReplicas} of ${n.replicas} replicas ready`,
    );
    li.addEventListener("click", () => selectNode(n.name, true));
    items.push(li);
    list.append(li);
  });
  rove(items, (li) => selectNode(li.dataset.node, true));
  if (focused) items.find((i) => i.dataset.node === focused)?.focus();
}

function renderHistory(d: TopologyDetail): void {
  const body = $("#history tbody");
  body.replaceChildren();
  for (const h of [...d.history].reverse()) {
    const tr = el("tr");
    if (h.revision === d.revision) tr.setAttribute("aria-current", "true");
    tr.append(
      el("td", `${h.revision}${h.revision === d.lastGoodRevision ? " (last good)" : ""}`),
      el("td", h.outcome),
      el("td", new Date(h.at).toLocaleString()),
      el("td", h.reason ?? ""),
    );
    body.append(tr);
  }
  if (!d.history.length) body.append(el("tr", "No revisions yet."));
}

function eventList(events: DashboardEvent[]): HTMLElement {
  const ul = el("ul", undefined, "events");
  for (const e of events.slice(0, 15)) {
    const li = el("li");
    li.append(
      el("span", `${e.type === "Warning" ? "⚠ " : ""}${e.reason}`, e.type === "Warning" ? "warning" : ""),
      ` ${new Date(e.at).toLocaleTimeString()} — ${e.message}`,
    );
    ul.append(li);
  }
  if (!events.length) ul.append(el("li", "No recent events."));
  return ul;
}

function renderPanel(): void {
  const panel = $("#panel");
  panel.replaceChildren();
  const d = state.detail;
  const n: GraphNode | undefined = d?.nodes.find((x) => x.name === state.node);
  if (!d) return void panel.append(el("p", "Select a topology.", "muted"));
  if (!n) {
    panel.append(el("h2", "Recent events"), eventList(state.events));
    return;
  }
  panel.append(el("h2", n.name));
  const dl = el("dl");
  const row = (k: string, v: string | Node) => {
    const dd = el("dd");
    dd.append(v);
    dl.append(el("dt", k), dd);
  };
  row("Phase", phaseBadge(n.phase));
  if (n.message) row("Message", n.message);
  row("Image", n.image);
  if (n.task)
    row(
      "Task",
      `runs to completion once per revision that changes it; ${n.task.retries} ${n.task.retries === 1 ? "retry" : "retries"}, timeout ${n.task.timeout}`,
    );
  else row("Replicas", `${n.readyReplicas} ready / ${n.replicas} desired`);
  if (n.spreadOver) row("Spread", `on ${n.spreadOver} cluster node${n.spreadOver === 1 ? "" : "s"}`);
  row(
    "Ports",
    n.ports
      .map((p) => `${p.name} ${p.port}/${p.protocol}${p.hostPort ? ` (host ${p.hostPort})` : ""}`)
      .join(", ") || "none",
  );
  row("Revision", d.revision !== undefined ? String(d.revision) : "–");
  row("Depends on", n.dependsOn.join(", ") || "–");
  // A member of a collapsed group is sent without the members it connects to (connectsWithin counts them).
  const within = n.connectsWithin ?? 0;
  const connects = n.connectsTo.length + within;
  row(
    "Connects to",
    connects > 12
      ? `${connects} nodes${within ? ` (${within} in its group)` : ""}`
      : [...n.connectsTo, ...(within ? [`${within} in its group`] : [])].join(", ") || "–",
  );
  if (n.env.length)
    row(
      "Env",
      n.env
        .map((e) =>
          e.secretRef !== undefined ? `${e.name} ← secret ${e.secretRef}` : `${e.name}=${e.value}`,
        )
        .join("\n"),
    );
  panel.append(dl);
  const revs = d.history.filter((h) => h.images?.[n.name]);
  if (revs.length) {
    panel.append(el("h3", "Revisions of this node"));
    const ul = el("ul", undefined, "events");
    for (const h of [...revs].reverse())
      ul.append(el("li", `rev ${h.revision}: ${h.images![n.name]} — ${h.outcome}`));
    panel.append(ul);
  }
  panel.append(el("h3", "Recent events"), eventList(state.events.filter((e) => e.node === n.name)));
}

function renderDetail(): void {
  const d = state.detail;
  if (!d) {
    $("#topo-title").textContent = state.key ? `${state.key} not found` : "Select a topology";
    $("#topo-summary").textContent = "";
    graph.clear();
    $("#node-list").replaceChildren();
    $("#history tbody").replaceChildren();
    renderPanel();
    return;
  }
  $("#topo-title").textContent = `${d.name} (${d.namespace})`;
  const summary = $("#topo-summary");
  summary.replaceChildren(
    phaseBadge(d.phase),
    ` ${d.readyNodes}/${d.totalNodes} nodes ready · revision ${d.revision ?? "–"} · last good ${d.lastGoodRevision ?? "–"}${
      d.message ? ` · ${d.message}` : ""
    }`,
  );
  const issues = $("#issues");
  issues.hidden = !d.issues?.length;
  issues.replaceChildren(...(d.issues ?? []).map((i) => el("li", i)));
  graph.show(d);
  graph.select(state.node);
  renderNodeList(d);
  renderHistory(d);
  renderPanel();
}

const MARK: Record<string, string> = { create: "+", change: "~", delete: "-" };

/** What a plan would do, in words and on the graph; undefined clears it. */
function renderPlan(response: PlanResponse | undefined, error?: PlanRefused | Error): void {
  const summary = $("#plan-summary");
  const list = $("#plan-nodes");
  list.replaceChildren();
  if (error) {
    summary.textContent = `No plan: ${error.message}`;
    for (const i of error instanceof PlanRefused ? error.issues : [])
      list.append(el("li", `line ${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ""}${i.message}`));
    graph.showPlan(undefined);
    return;
  }
  if (!response) {
    summary.textContent = "";
    graph.showPlan(undefined);
    return;
  }
  const p = response.plan;
  const count = (v: string) => p.nodes.filter((n) => n.verdict === v).length;
  const parts = ["create", "restart", "update", "delete"]
    .filter((v) => count(v))
    .map((v) => `${count(v)} to ${v}`);
  summary.textContent = `${p.changed ? parts.join(", ") || "changes" : "No changes"} · ${
    p.revision.new ? `revision ${p.revision.next} (new)` : "no new revision"
  }${p.startOrder.length ? ` · start order: ${p.startOrder.map((l) => l.join(", ")).join(" → ")}` : ""}`;
  for (const n of p.nodes.filter((x) => x.verdict !== "unchanged")) {
    const li = el("li");
    li.dataset.verdict = n.verdict;
    const changed = n.objects.filter((o) => o.action !== "unchanged");
    li.append(
      el("strong", `${n.name}: ${n.verdict}`),
      ` ${changed.map((o) => `${MARK[o.action] ?? ""}${o.kind} ${o.name}`).join(", ")}`,
    );
    list.append(li);
  }
  for (const note of p.notes) list.append(el("li", `Note: ${note}`));
  graph.showPlan(Object.fromEntries(p.nodes.map((n) => [n.name, n.verdict])));
}

async function askPlan(): Promise<void> {
  const key = state.key;
  if (!key) return;
  const [ns, name] = key.split("/") as [string, string];
  $("#plan-summary").textContent = "Planning…";
  try {
    const response = await api.plan(ns, name, $<HTMLTextAreaElement>("#plan-input").value);
    if (state.key !== key) return;
    state.plan = { key, response };
    renderPlan(response);
  } catch (err) {
    if (err instanceof Unauthorized) return askToken();
    state.plan = undefined;
    renderPlan(undefined, err as Error);
  }
}

function selectNode(node: string | undefined, fromList: boolean): void {
  state.node = node;
  go(state.key, node);
  if (!fromList) graph.select(node);
}

let loading = 0;
async function load(key: string | undefined, node?: string): Promise<void> {
  const changedTopology = key !== state.key;
  if (changedTopology && state.plan) {
    state.plan = undefined;
    renderPlan(undefined);
  }
  state.key = key;
  state.node = node;
  const mine = ++loading;
  if (!key) {
    state.detail = undefined;
    renderOverview();
    return renderDetail();
  }
  const [ns, name] = key.split("/") as [string, string];
  // The graph is drawn as soon as the topology is here; its events (a list from the API server) fill
  // the panel when they come. A reload keeps the events it shows until then.
  const events = api.events(ns, name).catch(() => [] as DashboardEvent[]);
  if (changedTopology) state.events = [];
  try {
    const open = graph.openGroups(key);
    const early = takePrefetched(key, open);
    if (!early) performance.mark("topo:fetch");
    const detail = await (early ?? api.grouped(ns, name, open));
    if (mine !== loading) return;
    performance.mark("topo:fetched");
    state.detail = detail;
  } catch (err) {
    if (err instanceof Unauthorized) return askToken();
    if (mine !== loading) return;
    state.detail = undefined;
  }
  state.updates++;
  renderOverview();
  renderDetail();
  if (changedTopology) graph.select(node);
  void showTimeline(key);
  const got = await events;
  if (mine !== loading) return;
  state.events = got;
  renderPanel();
}

/**
 * Reloads the selection after a change. While a reload is in flight, further changes fold into one more
 * reload after it: a newer load would discard the older one's answer, and changes arriving faster than
 * a load takes would then never show.
 */
let refreshing: Promise<void> | undefined;
let refreshAgain = false;
function refresh(): void {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = load(state.key, state.node).finally(() => {
    refreshing = undefined;
    if (refreshAgain) {
      refreshAgain = false;
      refresh();
    }
  });
}

function askToken(): void {
  const form = $<HTMLFormElement>("#token-form");
  form.hidden = false;
  $<HTMLInputElement>("#token-input").focus();
}

let streamedOnce = false;
/** The list with a partial change applied: changed summaries replaced or added, the missing ones deleted. */
function merged(list: TopologySummary[], m: ChangeMessage): TopologySummary[] {
  const key = (t: TopologySummary) => `${t.namespace}/${t.name}`;
  const changed = new Set(m.changed);
  const fresh = new Map(m.topologies.map((t) => [key(t), t]));
  const out = list.flatMap((t) => (changed.has(key(t)) ? (fresh.get(key(t)) ?? []) : [t]));
  const known = new Set(list.map(key));
  const added = m.topologies.filter((t) => !known.has(key(t)));
  if (!added.length) return out;
  return [...out, ...added].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
}

/** Rewrites the cells of these topologies' rows in place; false when a row is missing (then redraw all). */
function updateRows(changed: TopologySummary[]): boolean {
  const rows = changed.map((t) =>
    $("#overview tbody").querySelector<HTMLTableRowElement>(
      `tr[data-key="${CSS.escape(`${t.namespace}/${t.name}`)}"]`,
    ),
  );
  if (rows.some((r) => !r)) return false;
  changed.forEach((t, i) => {
    const cells = rows[i]!.cells;
    const rb = t.lastRollback;
    cells[0]!
      .querySelector("button")!
      .setAttribute(
        "aria-label",
        `${t.name} in ${t.namespace}: ${t.phase}, ${t.readyNodes} of ${t.totalNodes} nodes ready`,
      );
    cells[2]!.replaceChildren(phaseBadge(t.phase));
    cells[3]!.textContent = `${t.readyNodes}/${t.totalNodes}`;
    cells[4]!.textContent = t.revision !== undefined ? String(t.revision) : "–";
    cells[5]!.textContent = rb ? `rev ${rb.revision} at ${new Date(rb.at).toLocaleString()}` : "–";
  });
  return true;
}

function onChange(m: ChangeMessage, fromStream = true): void {
  // The first snapshot only fills the list (the selection was just loaded); later empty ones are reconnects.
  const reconnect = fromStream && m.changed.length === 0 && streamedOnce;
  if (fromStream) streamedOnce = true;
  const before = state.list.length;
  state.list = m.partial ? merged(state.list, m) : m.topologies;
  if (!state.key && state.list[0]) {
    const first = state.list[0];
    return go(`${first.namespace}/${first.name}`);
  }
  // A change that only updates rows (none added or deleted) rewrites those rows' cells, not 1,000 rows.
  if (!m.partial || state.list.length !== before || !updateRows(m.topologies)) renderOverview();
  // After a reconnect, or when the snapshot disagrees with what is drawn, refresh the selection too.
  const now = state.list.find((t) => `${t.namespace}/${t.name}` === state.key);
  const d = state.detail;
  const stale =
    now && d && (now.phase !== d.phase || now.readyNodes !== d.readyNodes || now.revision !== d.revision);
  if (state.key && (reconnect || stale || m.changed.includes(state.key))) refresh();
}

function setLive(s: LiveState): void {
  const live = $("#live");
  live.dataset.state = s;
  live.textContent = { connecting: "connecting…", live: "● live", down: "reconnecting…" }[s];
}

// A read-only hook for the end-to-end tests (and curious people): what the graph is drawing right now.
window.__topo = {
  graph: () => graph.model(),
  selected: () => ({ key: state.key, node: state.node }),
  updates: () => state.updates,
  firstRenderMs: () => graph.firstRenderMs,
  marks: () => performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)]),
  phase: (key: string) => state.list.find((t) => `${t.namespace}/${t.name}` === key)?.phase,
  plan: () => state.plan?.response,
};

$<HTMLFormElement>("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  setToken($<HTMLInputElement>("#token-input").value);
  location.reload();
});
$<HTMLFormElement>("#plan-form").addEventListener("submit", (e) => {
  e.preventDefault();
  void askPlan();
});
for (const id of ["#tl-range", "#tl-node"])
  $(id).addEventListener("change", () => void showTimeline(state.key));
$("#plan-clear").addEventListener("click", () => {
  state.plan = undefined;
  renderPlan(undefined);
});
window.addEventListener("hashchange", () => {
  const r = route();
  void load(r.key, r.node);
});
renderLegend();
const initial = route();
if (initial.key) void load(initial.key, initial.node);
api
  .list()
  .then((list) => onChange({ at: "", changed: [], topologies: list }, false))
  .catch((err: unknown) => (err instanceof Unauthorized ? askToken() : undefined));
follow(onChange, setLive);
void showSession();
