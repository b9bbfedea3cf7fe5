// The dashboard over time: GET /api/topologies/:ns/:name/timeline and /api/recoveries, read from the
// history store. A timeline holds the revisions as bands, the nodes' phase changes, the rollbacks with
// their recovery time, the Events, and each node's availability over the range (the share of the time it
// was Ready, or a task Succeeded, from its first record in or before the range).
import type { Request, Response, Router } from "express";
import type { HistoryRecord, PhaseData, RollbackData } from "../history/record.ts";
import { parseSince, revisionRows, type RevisionRow } from "../history/rows.ts";
import type { HistoryStore } from "../history/store.ts";

/** The design's recovery time objective: every rollback's recovery is drawn against it. */
export const RECOVERY_OBJECTIVE_SECONDS = 120;
const DEFAULT_RANGE_MS = 7 * 86_400_000;
// RolledBack: Ready on the last good revision after a rollback.
const AVAILABLE = new Set(["Ready", "Succeeded", "RolledBack"]);

export interface Timeline {
  namespace: string;
  name: string;
  since: string;
  until: string;
  revisions: RevisionRow[];
  phases: { at: string; node: string; phase: string; from?: string; revision?: number }[];
  rollbacks: Recovery[];
  events: {
    at: string;
    node?: string;
    type: string;
    reason: string;
    message: string;
    object: string;
    count: number;
  }[];
  /** Per node, the share of the range it was available (0 to 1); absent for a node with no record. */
  availability: Record<string, number>;
  nodes: string[];
}

export interface Recovery {
  namespace: string;
  topology: string;
  at: string;
  trigger: "automatic" | "manual";
  from?: number;
  to?: number;
  recoverySeconds?: number;
  withinObjective?: boolean;
}

/** since and until: an RFC 3339 time or a duration back from now; a bad one is a 400. */
function rangeOf(req: Request, now: Date): { since: Date; until: Date } | string {
  const q = (k: string) => (typeof req.query[k] === "string" ? (req.query[k] as string) : undefined);
  const until = q("until") !== undefined ? parseSince(q("until")!, now) : now;
  const since =
    q("since") !== undefined ? parseSince(q("since")!, now) : new Date(now.getTime() - DEFAULT_RANGE_MS);
  if (!until || !since) return "since and until take an RFC 3339 time or a duration (7d, 12h, 30m)";
  if (since > until) return "since is after until";
  return { since, until };
}

const recoveryOf = (r: HistoryRecord & { kind: "rollback" }): Recovery => {
  const d = r.data as RollbackData;
  return {
    namespace: r.namespace,
    topology: r.topology,
    at: r.at,
    trigger: d.trigger,
    ...(d.from !== undefined ? { from: d.from } : {}),
    ...(d.to !== undefined ? { to: d.to } : {}),
    ...(d.recoverySeconds !== undefined
      ? {
          recoverySeconds: d.recoverySeconds,
          withinObjective: d.recoverySeconds <= RECOVERY_OBJECTIVE_SECONDS,
        }
      : {}),
  };
};

/** Each node's share of [since, until] in an available phase, from the phase records up to until. */
export function availability(
  phases: readonly HistoryRecord[],
  since: Date,
  until: Date,
): Record<string, number> {
  const byNode = new Map<string, { at: number; up: boolean }[]>();
  for (const r of phases) {
    if (r.kind !== "phase" || !r.node) continue;
    const list = byNode.get(r.node) ?? [];
    list.push({ at: Date.parse(r.at), up: AVAILABLE.has((r.data as PhaseData).phase) });
    byNode.set(r.node, list);
  }
  const out: Record<string, number> = {};
  for (const [node, list] of byNode) {
    list.sort((a, b) => a.at - b.at);
    // Known from the last change at or before since, else from the first change in the range.
    const start = Math.max(since.getTime(), list[0]!.at);
    const end = until.getTime();
    if (end <= start) continue;
    let up = 0;
    list.forEach((p, i) => {
      const from = Math.max(p.at, start);
      const to = Math.min(list[i + 1]?.at ?? end, end);
      if (p.up && to > from) up += to - from;
    });
    out[node] = Math.round((up / (end - start)) * 10_000) / 10_000;
  }
  return out;
}

export async function readTimeline(
  store: HistoryStore,
  namespace: string,
  name: string,
  range: { since: Date; until: Date },
  node?: string,
): Promise<Timeline> {
  const { since, until } = range;
  const where = { namespace, topology: name };
  // Revisions and phases from before the range too: the band that was running at its start, and the
  // phase each node was in.
  const [all, inRange] = await Promise.all([
    store.query({ ...where, until, kinds: ["revision", "outcome", "rollback", "phase"] }),
    store.query({ ...where, since, until, kinds: ["phase", "event", "rollback"], ...(node ? { node } : {}) }),
  ]);
  const revisions = revisionRows(all).filter(
    (r) => Date.parse(r.until ?? until.toISOString()) >= since.getTime(),
  );
  const phaseRecords = all.filter((r) => r.kind === "phase");
  const nodes = [...new Set(phaseRecords.map((r) => r.node!))].sort();
  const avail = availability(node ? phaseRecords.filter((r) => r.node === node) : phaseRecords, since, until);
  return {
    namespace,
    name,
    since: since.toISOString(),
    until: until.toISOString(),
    revisions,
    phases: inRange
      .filter((r) => r.kind === "phase")
      .map((r) => {
        const d = r.data as PhaseData;
        return {
          at: r.at,
          node: r.node!,
          phase: d.phase,
          ...(d.from ? { from: d.from } : {}),
          ...(r.revision ? { revision: r.revision } : {}),
        };
      }),
    rollbacks: inRange
      .filter((r) => r.kind === "rollback")
      .map((r) => recoveryOf(r as HistoryRecord & { kind: "rollback" })),
    events: inRange
      .filter((r) => r.kind === "event")
      .map((r) => {
        const d = r.data as {
          type: string;
          reason: string;
          message: string;
          object: { kind: string; name: string };
          count: number;
        };
        return {
          at: r.at,
          ...(r.node ? { node: r.node } : {}),
          type: d.type,
          reason: d.reason,
          message: d.message,
          object: `${d.object.kind}/${d.object.name}`,
          count: d.count,
        };
      }),
    availability: avail,
    nodes,
  };
}

/** Mounts the two routes on the dashboard's /api router (behind its token or session check). */
export function mountHistoryApi(api: Router, store: HistoryStore | undefined, now = () => new Date()): void {
  const unavailable = (res: Response) =>
    res.status(501).json({ error: "this dashboard has no history store (TOPO_HISTORY_URL)" });
  api.get("/topologies/:namespace/:name/timeline", (req, res, next) => {
    if (!store) return void unavailable(res);
    const range = rangeOf(req, now());
    if (typeof range === "string") return void res.status(400).json({ error: range });
    const node = typeof req.query.node === "string" && req.query.node ? req.query.node : undefined;
    readTimeline(store, String(req.params.namespace), String(req.params.name), range, node)
      .then((t) => res.json(t))
      .catch(next);
  });
  api.get("/recoveries", (req, res, next) => {
    if (!store) return void unavailable(res);
    const range = rangeOf(req, now());
    if (typeof range === "string") return void res.status(400).json({ error: range });
    const ns = typeof req.query.namespace === "string" ? req.query.namespace : undefined;
    const topology = typeof req.query.topology === "string" ? req.query.topology : undefined;
    store
      .query({
        ...range,
        kinds: ["rollback"],
        ...(ns ? { namespace: ns } : {}),
        ...(topology ? { topology } : {}),
      })
      .then((records) =>
        res.json({
          since: range.since.toISOString(),
          until: range.until.toISOString(),
          objectiveSeconds: RECOVERY_OBJECTIVE_SECONDS,
          recoveries: records.map((r) => recoveryOf(r as HistoryRecord & { kind: "rollback" })),
        }),
      )
      .catch(next);
  });
}
