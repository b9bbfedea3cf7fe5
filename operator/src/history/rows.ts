// The revisions of a topology as the history store holds them, one row per attempt with its outcome and
// rollback: what `topo history --since` prints and the dashboard's timeline draws as bands.
import { parseDuration, type HistoryRecord, type RevisionData, type RollbackData } from "./record.ts";

export interface RevisionRow {
  revision: number;
  at: string;
  /** The next revision's start, or undefined while it is the latest. */
  until?: string;
  images: Record<string, string>;
  trigger: RevisionData["trigger"];
  from?: number;
  outcome: string;
  reason?: string;
  recoverySeconds?: number;
}

/** Revision records with their latest outcome and their rollback's recovery, oldest first. */
export function revisionRows(records: readonly HistoryRecord[]): RevisionRow[] {
  const rows: RevisionRow[] = [];
  const byKey = new Map<string, RevisionRow>();
  for (const r of records) {
    if (r.kind !== "revision") continue;
    const row: RevisionRow = {
      revision: r.revision ?? 0,
      at: r.at,
      images: r.data.images,
      trigger: r.data.trigger,
      ...(r.data.from !== undefined ? { from: r.data.from } : {}),
      outcome: "Progressing",
    };
    byKey.set(r.key, row);
    rows.push(row);
  }
  for (const r of records) {
    const key = r.kind === "outcome" ? r.key.slice(0, r.key.lastIndexOf(":")) : r.key;
    const row = byKey.get(key);
    if (!row) continue;
    if (r.kind === "outcome") {
      row.outcome = r.data.outcome;
      if (r.data.reason) row.reason = r.data.reason;
    }
    if (r.kind === "rollback" && (r.data as RollbackData).recoverySeconds !== undefined)
      row.recoverySeconds = (r.data as RollbackData).recoverySeconds;
  }
  rows.sort((a, b) => a.at.localeCompare(b.at));
  rows.forEach((row, i) => rows[i + 1] && (row.until = rows[i + 1]!.at));
  return rows;
}

/** `--since`: a duration back from now (7d, 12h) or an RFC 3339 time; undefined when neither. */
export function parseSince(text: string, now = new Date()): Date | undefined {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const t = Date.parse(text);
  return Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(text) ? undefined : new Date(t);
}
