// What the history store keeps: one row per fact (a revision, an outcome, a node's phase change, a rollback
// and its recovery, a Kubernetes Event), keyed so that writing the same fact twice (a restart, a leader
// failover, a retried batch) leaves one row. Shared by both targets and both databases.

export const RECORD_KINDS = ["revision", "outcome", "phase", "rollback", "event"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** What started a revision: the spec changed (Kubernetes), `topo up` (Compose), or a rollback. */
export type RevisionTrigger = "spec" | "up" | "manual-rollback" | "automatic-rollback";

export interface RevisionData {
  images: Record<string, string>;
  /** The Topology generation that asked for it (Kubernetes). */
  generation?: number;
  /** The rendered templates' hash (Kubernetes) or the compose file's (Compose). */
  hash?: string;
  trigger: RevisionTrigger;
  /** A rollback by hand: the revision that ran before it. */
  from?: number;
}
export interface OutcomeData {
  outcome: string;
  reason?: string;
}
export interface PhaseData {
  /** The phase before this one, when known. */
  from?: string;
  phase: string;
  /** The node's n-th recorded transition: part of the key, so a replica that takes over continues the count. */
  seq: number;
  message?: string;
}
export interface RollbackData {
  trigger: "automatic" | "manual";
  /** The revision rolled back from (the failed one, or the one running before a rollback by hand). */
  from?: number;
  /** The revision rolled back to. */
  to?: number;
  /** Seconds from the rollback's request to every node Ready on `to`; absent until then. */
  recoverySeconds?: number;
}
export interface EventData {
  type: string;
  reason: string;
  message: string;
  object: { kind: string; name: string };
  count: number;
  firstAt?: string;
}

interface Base {
  target: "kubernetes" | "compose";
  namespace: string;
  topology: string;
  /** The Topology's uid (Kubernetes) or the Compose project's identity: records of a deleted and recreated topology stay apart. */
  uid: string;
  /** Unique within (uid, kind). */
  key: string;
  /** RFC 3339. */
  at: string;
  revision?: number;
  node?: string;
}
export type HistoryRecord =
  | (Base & { kind: "revision"; data: RevisionData })
  | (Base & { kind: "outcome"; data: OutcomeData })
  | (Base & { kind: "phase"; data: PhaseData })
  | (Base & { kind: "rollback"; data: RollbackData })
  | (Base & { kind: "event"; data: EventData });

/**
 * Kinds whose later writes replace the row (a rollback gains its recovery time, an Event its count); the
 * others keep the first write, whose time is when the fact was first seen.
 */
export const UPSERT_KINDS: ReadonlySet<RecordKind> = new Set(["revision", "rollback", "event"]);

export interface HistoryQuery {
  target?: "kubernetes" | "compose";
  namespace?: string;
  topology?: string;
  kinds?: readonly RecordKind[];
  node?: string;
  since?: Date;
  until?: Date;
  /** At most this many, the newest (still returned oldest first). */
  limit?: number;
}

/** How long and how much history is kept: `TOPO_HISTORY_RETENTION`. */
export interface Retention {
  maxAgeMs: number;
  /** Records per topology at most (the oldest go first). */
  maxRecords?: number;
}

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3 };

/** A duration such as 90d, 12h, 30m, 2w. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** `90d` (by age), `90d,100000` (and at most 100000 records per topology), or `100000` (count only is refused: age always applies). */
export function parseRetention(text: string): Retention | undefined {
  const [age, count, ...rest] = text.split(",").map((s) => s.trim());
  const maxAgeMs = parseDuration(age ?? "");
  if (maxAgeMs === undefined || rest.length) return undefined;
  if (count === undefined) return { maxAgeMs };
  if (!/^\d+$/.test(count) || Number(count) < 1) return undefined;
  return { maxAgeMs, maxRecords: Number(count) };
}

/** One attempt of a revision as either target's history keeps it (status.history, state.json). */
export interface Attempt {
  revision: number;
  at: string;
  outcome: string;
  reason?: string;
  /** A rollback by hand ("manual"), else a release. */
  trigger?: string;
  from?: number;
  rollbackAt?: string;
  recoverySeconds?: number;
}

/**
 * An attempt's records, the same on both targets: its revision (keyed by revision and start), its outcome
 * once it has one, and its rollback with the recovery time. `release` is what started a release (spec on
 * Kubernetes, up on Compose); `lastGoodRevision` is where an automatic rollback went.
 */
export function attemptRecords(
  base: Pick<HistoryRecord, "target" | "namespace" | "topology" | "uid">,
  h: Attempt,
  o: {
    release: RevisionTrigger;
    revision: Omit<RevisionData, "trigger" | "from">;
    outcomeAt: string;
    lastGoodRevision?: number;
  },
): HistoryRecord[] {
  const key = `${h.revision}@${h.at}`;
  const manual = h.trigger === "manual";
  const out: HistoryRecord[] = [
    {
      ...base,
      kind: "revision",
      key,
      at: h.at,
      revision: h.revision,
      data: {
        ...o.revision,
        trigger: manual ? "manual-rollback" : o.release,
        ...(h.from !== undefined ? { from: h.from } : {}),
      },
    },
  ];
  if (h.outcome !== "Progressing")
    out.push({
      ...base,
      kind: "outcome",
      key: `${key}:${h.outcome}`,
      at: o.outcomeAt,
      revision: h.revision,
      data: { outcome: h.outcome, ...(h.reason ? { reason: h.reason } : {}) },
    });
  if (h.rollbackAt && (manual || h.outcome === "RolledBack")) {
    const from = manual ? h.from : h.revision;
    const to = manual ? h.revision : o.lastGoodRevision;
    out.push({
      ...base,
      kind: "rollback",
      key,
      at: h.rollbackAt,
      revision: h.revision,
      data: {
        trigger: manual ? "manual" : "automatic",
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(h.recoverySeconds !== undefined ? { recoverySeconds: h.recoverySeconds } : {}),
      },
    });
  }
  return out;
}
