// `topo up` and `topo rollback` on this machine keep their record in the history store too (SQLite by
// default): every attempt of state.json as a revision (trigger up, or a rollback by hand), its outcome,
// and every rollback with its recovery time. Written after the command, with the same idempotent keys as
// the operator's, so writing all of state.json again adds only what is new. A store that cannot be
// written is reported on stderr and never changes the command's result.
import { loadLocalConfig } from "../local-config.ts";
import type { IoContext } from "../io.ts";
import { attemptRecords, type HistoryRecord } from "../history/record.ts";
import { defaultHistoryUrl, openStore } from "../history/store.ts";
import { readState, stateDir, type LocalState } from "./state.ts";

/** The namespace the dashboard and the store give topologies of this machine. */
export const LOCAL_NAMESPACE = "local";

/** The history store's URL for the local commands: TOPO_HISTORY_URL, else the file in the state directory; undefined when off. */
export function localHistoryUrl(env: NodeJS.ProcessEnv): string | undefined {
  const url = loadLocalConfig(env).TOPO_HISTORY_URL ?? defaultHistoryUrl(env);
  return url === "off" ? undefined : url;
}

/** The records of a project's state: `uid` names the project (its state directory). */
export function localRecords(state: LocalState, uid: string): HistoryRecord[] {
  const base = { target: "compose", namespace: LOCAL_NAMESPACE, topology: state.topology, uid } as const;
  const out: HistoryRecord[] = [];
  /** Each node's phase as the history last left it. */
  const last = new Map<string, string>();
  for (const h of state.history) {
    out.push(
      ...attemptRecords(base, h, {
        release: "up",
        revision: { images: h.images ?? {}, hash: h.hash },
        outcomeAt: h.at,
        ...(state.lastGoodRevision !== undefined ? { lastGoodRevision: state.lastGoodRevision } : {}),
      }),
    );
    // Node phase changes, keyed by the attempt and their place in it: writing state.json again adds none.
    (h.phases ?? []).forEach((p, i) => {
      const from = last.get(p.node);
      last.set(p.node, p.phase);
      out.push({
        ...base,
        kind: "phase",
        key: `${h.revision}@${h.at}:${p.node}#${i}`,
        at: p.at,
        node: p.node,
        revision: h.revision,
        data: { phase: p.phase, seq: i, ...(from ? { from } : {}) },
      });
    });
  }
  return out;
}

/** Writes a project's state into the history store and applies the retention; a failure is a warning. */
export async function recordLocalHistory(ctx: IoContext, file: string, topology: string): Promise<void> {
  try {
    const url = localHistoryUrl(ctx.env);
    if (!url) return;
    const dir = stateDir(file, topology, ctx.env);
    const state = readState(dir);
    if (!state) return;
    const store = await openStore(url);
    try {
      await store.write(localRecords(state, `compose:${dir}`));
      await store.prune(loadLocalConfig(ctx.env).TOPO_HISTORY_RETENTION);
    } finally {
      await store.close();
    }
  } catch (err) {
    ctx.stderr.write(`warning: the history store was not written: ${(err as Error).message}\n`);
  }
}
