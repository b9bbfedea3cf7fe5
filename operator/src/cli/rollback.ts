// `topo rollback FILE [--to N]`: on this machine, start a kept revision again, health-gated like `topo up`.
// `topo rollback NAME -n NS [--to N]`: in the cluster, set topo.dev/rollback-to and wait for the operator's
// answer; `--release` removes the annotation, and the Topology rolls forward to its spec.
import { ANNOTATION_ROLLBACK_TO } from "../api/constants.ts";
import type { HistoryEntry } from "../api/schema.ts";
import { recordLocalHistory } from "../local/history.ts";
import { rollback as localRollback } from "../local/rollback.ts";
import { UsageError, UserError, type Command, type CommandContext } from "./command.ts";
import {
  readTopology,
  setRollbackTo,
  waitForVerdict,
  type ClusterRef,
  type ClusterTopology,
} from "./cluster-topology.ts";
import { loadOne } from "./local.ts";
import { targetOf } from "./target.ts";

function revisionOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[1-9][0-9]{0,8}$/.test(value))
    throw new UsageError(`--to takes a revision number, not "${String(value)}"`);
  return Number(value);
}

/** The newest revision below the current one that ran Ready (the operator refuses it if it is not kept). */
function previousGood(t: ClusterTopology): number | undefined {
  const current = t.status?.revision ?? 0;
  const good = (t.status?.history ?? []).filter((h) => h.outcome === "Succeeded" && h.revision < current);
  return good.length ? Math.max(...good.map((h) => h.revision)) : undefined;
}

const where = (r: ClusterRef) => `${r.namespace}/${r.name}`;

async function release(r: ClusterRef, ctx: CommandContext): Promise<number> {
  const t = await readTopology(r);
  if (t.metadata.annotations?.[ANNOTATION_ROLLBACK_TO] === undefined) {
    ctx.stdout.write(`${where(r)} is not pinned (no ${ANNOTATION_ROLLBACK_TO}); nothing to release\n`);
    return 0;
  }
  await setRollbackTo(r, undefined);
  ctx.stdout.write(
    `${where(r)}: ${ANNOTATION_ROLLBACK_TO} removed; the operator rolls forward to the spec (\`topo history ${r.name} -n ${r.namespace}\` follows it)\n`,
  );
  return 0;
}

async function clusterRollback(
  r: ClusterRef,
  to: number | undefined,
  wait: boolean,
  ctx: CommandContext,
): Promise<number> {
  const t = await readTopology(r);
  // The operator applies nothing for an invalid spec, a kept revision included: say so now, not after a wait.
  if (t.status?.phase === "Invalid")
    throw new UserError(
      `${where(r)} is Invalid (${t.status.message ?? "its spec breaks a rule"}): the operator applies nothing while its spec is invalid, a kept revision included; fix the spec, or apply the file of a good revision (\`topo history ${r.name} -n ${r.namespace}\` lists them); nothing was changed`,
    );
  const revision = to ?? previousGood(t);
  if (revision === undefined)
    throw new UserError(
      `${where(r)} has no good revision before revision ${t.status?.revision ?? 0} in status.history; nothing was changed`,
    );
  const before = t.metadata.annotations?.[ANNOTATION_ROLLBACK_TO];
  const requested = Date.now();
  await setRollbackTo(r, String(revision));
  if (!wait) {
    ctx.stdout.write(
      `${where(r)}: ${ANNOTATION_ROLLBACK_TO}: "${revision}" set (\`topo history ${r.name} -n ${r.namespace}\` shows the outcome)\n`,
    );
    return 0;
  }
  ctx.stderr.write(`${where(r)}: ${ANNOTATION_ROLLBACK_TO}: "${revision}" set; waiting for the operator\n`);
  const deadline = (t.spec?.rollout?.progressDeadlineSeconds ?? 90) + 30;
  const verdict = await waitForVerdict(r, revision, deadline * 1000);
  if (!verdict)
    throw new UserError(
      `${where(r)}: the operator did not report on revision ${revision} within ${deadline}s; it stays requested (\`topo history ${r.name} -n ${r.namespace}\` shows what happens, \`topo rollback --release ${r.name} -n ${r.namespace}\` withdraws it)`,
    );
  if (verdict.kind === "refused") {
    // Refused: the request goes, as if it had not been made.
    if (before !== String(revision)) await setRollbackTo(r, before);
    throw new UserError(`${where(r)}: ${verdict.message}`);
  }
  const seconds = (e: HistoryEntry) =>
    e.recoverySeconds !== undefined
      ? `${e.recoverySeconds.toFixed(1)}s after the operator saw the request`
      : `${((Date.now() - requested) / 1000).toFixed(1)}s`;
  if (verdict.kind === "failed")
    throw new UserError(
      `${where(r)}: revision ${revision} is pinned but not Ready: ${verdict.entry.reason ?? "unknown"} (\`topo history ${r.name} -n ${r.namespace}\`; \`topo rollback ${r.name} -n ${r.namespace} --to N\` tries another)`,
    );
  ctx.stdout.write(
    `${where(r)}: rolled back to revision ${revision}${verdict.entry.from !== undefined ? ` (from revision ${verdict.entry.from})` : ""}; every node is Ready, ${seconds(verdict.entry)}. Pinned: a spec change is held until \`topo rollback --release ${r.name} -n ${r.namespace}\`\n`,
  );
  return 0;
}

export const rollbackCommand: Command = {
  name: "rollback",
  summary:
    "roll back by hand to a kept revision (Compose: FILE; cluster: NAME -n NS, pinned until --release)",
  usage:
    "topo rollback FILE [--to N] | NAME [-n NAMESPACE] [--to N] [--no-wait] | --release NAME [-n NAMESPACE]",
  help: [
    "Without --to, the newest revision below the current one that ran healthy. `topo history` lists them.",
    "",
    "FILE: starts revision N's kept compose file (.topo/<topology>/revisions/N/) with the images already on this",
    "machine, waits for health as `topo up` does, records the attempt, and exits 0 once every node is healthy.",
    "`topo up FILE` rolls forward again.",
    "",
    `NAME: sets the annotation ${ANNOTATION_ROLLBACK_TO}: "N" on the Topology (kubectl annotate does the same) and`,
    "waits until the operator has every node Ready on revision N (phase RolledBack, reason ManualRollback) or",
    "refuses it (a revision no longer kept). The Topology stays pinned there: a spec change is not rolled out",
    "until `topo rollback --release NAME` removes the annotation. The spec itself is never changed.",
    "",
    "Options:",
    "  --to N               the revision to return to",
    "  -n, --namespace NS   the Topology's namespace (the cluster)",
    "  --release            remove the annotation: roll forward to the spec (the cluster)",
    "  --no-wait            set the annotation and return (the cluster)",
    "",
  ].join("\n"),
  options: {
    to: { type: "string" },
    namespace: { type: "string", short: "n" },
    release: { type: "boolean" },
    "no-wait": { type: "boolean" },
  },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("rollback takes exactly one FILE or NAME");
    const to = revisionOf(values.to);
    const target = targetOf("rollback", positionals[0], values.namespace as string | undefined, ctx);
    if (target.kind === "compose") {
      if (values.release)
        throw new UsageError(
          "--release is for a Topology in the cluster; on Compose, `topo up FILE` rolls forward",
        );
      if (values["no-wait"]) throw new UsageError("--no-wait is for a Topology in the cluster");
      const topology = await loadOne(target.file, ctx);
      try {
        return await localRollback(ctx, target.file, topology, to);
      } finally {
        await recordLocalHistory(ctx, target.file, topology.name); // a failed rollback by hand too
      }
    }
    if (values.release) {
      if (to !== undefined) throw new UsageError("--release and --to do not go together");
      return release(target.ref, ctx);
    }
    return clusterRollback(target.ref, to, values["no-wait"] !== true, ctx);
  },
};
