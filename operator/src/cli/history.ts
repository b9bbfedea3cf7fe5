// `topo history FILE` / `topo history NAME -n NS`: the revisions of a topology on this machine (state.json)
// or in the cluster (status.history), with time, images, trigger, outcome, recovery and reason.
import { openStore } from "../history/store.ts";
import { parseSince, revisionRows } from "../history/rows.ts";
import { LOCAL_NAMESPACE, localHistoryUrl } from "../local/history.ts";
import { history as localHistory } from "../local/rollback.ts";
import { UsageError, type Command, type CommandContext } from "./command.ts";
import { readTopology } from "./cluster-topology.ts";
import { loadOne } from "./local.ts";
import { targetOf } from "./target.ts";

/** A history entry of either target, as printed. */
export interface HistoryRow {
  revision: number;
  at: string;
  outcome: string;
  images?: Record<string, string>;
  reason?: string;
  trigger?: string;
  from?: number;
  recoverySeconds?: number;
}

export function formatHistory(rows: readonly HistoryRow[], kept?: readonly number[]): string {
  const header = ["REVISION", "AT", "TRIGGER", "OUTCOME", "RECOVERY", "IMAGES", "REASON"];
  const cells = rows.map((h) => [
    `${h.revision}${kept && !kept.includes(h.revision) ? " (gone)" : ""}`,
    h.at.replace(/\.\d+Z$/, "Z"),
    h.trigger === "manual" ? `rollback${h.from !== undefined ? ` from ${h.from}` : ""}` : "spec",
    h.outcome,
    h.recoverySeconds !== undefined ? `${h.recoverySeconds.toFixed(1)}s` : "-",
    Object.entries(h.images ?? {})
      .map(([node, image]) => `${node}=${image}`)
      .join(",") || "-",
    h.reason ?? "",
  ]);
  const table = [header, ...cells];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

export const historyCommand: Command = {
  name: "history",
  summary: "the revisions of a topology (Compose: FILE; cluster: NAME -n NS): time, trigger, outcome, images",
  usage: "topo history FILE | NAME [-n NAMESPACE] [--since DURATION|TIME] [-o json]",
  help: [
    "FILE: the revisions `topo up` and `topo rollback` ran on this machine (.topo/<topology>/state.json).",
    "NAME: the Topology's status.history in the cluster of KUBECONFIG (-n, or the context's namespace).",
    "An argument that names no file is a Topology NAME; -n always means the cluster.",
    "",
    'Columns: REVISION ("gone": its compose file is no longer kept), AT, TRIGGER (spec, or rollback from',
    "the revision that ran), OUTCOME, RECOVERY (a rollback's request to every node healthy on it), IMAGES, REASON.",
    "",
    "--since reads the history store instead (TOPO_HISTORY_URL; default sqlite:~/.local/state/topo/history.db,",
    "where `topo up` writes; the operator's is where its TOPO_HISTORY_URL points): every revision since then,",
    "however many the status or state.json keep.",
    "",
    "Options:",
    "  -n, --namespace NS   the Topology's namespace (the cluster)",
    "  --since D|TIME       the history store's revisions since 7d, 12h, ... ago, or since an RFC 3339 time",
    "  -o json              machine-readable output",
    "",
  ].join("\n"),
  options: {
    namespace: { type: "string", short: "n" },
    output: { type: "string", short: "o" },
    since: { type: "string" },
  },
  async run({ positionals, values }, ctx: CommandContext) {
    if (positionals.length !== 1) throw new UsageError("history takes exactly one FILE or NAME");
    if (values.output !== undefined && values.output !== "json") throw new UsageError("-o accepts only json");
    const json = values.output === "json";
    const target = targetOf("history", positionals[0], values.namespace as string | undefined, ctx);
    if (values.since !== undefined) {
      const since = parseSince(values.since as string);
      if (!since) throw new UsageError("--since takes a duration (7d, 12h, 30m) or an RFC 3339 time");
      const url = localHistoryUrl(ctx.env);
      if (!url) throw new UsageError("--since reads the history store, and TOPO_HISTORY_URL is off");
      const where =
        target.kind === "compose"
          ? {
              target: "compose" as const,
              namespace: LOCAL_NAMESPACE,
              topology: (await loadOne(target.file, ctx)).name,
            }
          : { target: "kubernetes" as const, namespace: target.ref.namespace, topology: target.ref.name };
      const store = await openStore(url);
      let rows;
      try {
        rows = revisionRows(
          await store.query({ ...where, since, kinds: ["revision", "outcome", "rollback"] }),
        );
      } finally {
        await store.close();
      }
      if (json)
        ctx.stdout.write(
          `${JSON.stringify({ ...where, since: since.toISOString(), history: rows }, null, 2)}\n`,
        );
      else {
        ctx.stdout.write(
          `${where.namespace}/${where.topology}: ${rows.length} revision${rows.length === 1 ? "" : "s"} since ${since.toISOString()}\n`,
        );
        ctx.stdout.write(
          formatHistory(
            rows.map((r) => ({ ...r, trigger: r.trigger === "manual-rollback" ? "manual" : "spec" })),
          ),
        );
      }
      return 0;
    }
    if (target.kind === "compose") {
      const topology = await loadOne(target.file, ctx);
      const { state, kept, entries } = localHistory(ctx, target.file, topology);
      if (json) {
        ctx.stdout.write(`${JSON.stringify({ ...state, kept, history: entries }, null, 2)}\n`);
        return 0;
      }
      ctx.stdout.write(
        `${state.topology}: revision ${state.revision}${state.lastGoodRevision !== undefined ? ` (last good ${state.lastGoodRevision})` : ""}; kept: ${kept.join(", ") || "none"}\n`,
      );
      ctx.stdout.write(formatHistory(entries, kept));
      return 0;
    }
    const t = await readTopology(target.ref);
    const s = t.status ?? {};
    if (json) {
      ctx.stdout.write(
        `${JSON.stringify({ topology: t.metadata.name, namespace: t.metadata.namespace, ...s }, null, 2)}\n`,
      );
      return 0;
    }
    const pinned = s.conditions?.find((c) => c.type === "Pinned" && c.status === "True");
    ctx.stdout.write(
      `${t.metadata.namespace}/${t.metadata.name}: ${s.phase ?? "Pending"}, revision ${s.revision ?? "-"}${s.lastGoodRevision !== undefined ? ` (last good ${s.lastGoodRevision})` : ""}${pinned ? `; ${pinned.message}` : ""}\n`,
    );
    ctx.stdout.write(formatHistory(s.history ?? []));
    return 0;
  },
};
