// The single-machine commands' configuration (`topo up`, `down`, `status`, `logs`, `compose`, `build`, and
// `dashboard --source compose`): environment variables only, validated with zod (.env.example lists them
// all). Apart from config.ts, which builds on it, so that a command that only needs these does not build
// every schema of the operator's configuration first (a third of `topo compose`'s own time).
import { z } from "zod";
import { ConfigError } from "./errors.ts";
import { parseRetention } from "./history/record.ts";
import { historyUrlProblem } from "./history/store.ts";

/** TOPO_HISTORY_URL: where the history store is; `off` records nothing. */
export const historyUrl = z.string().refine((v) => v === "off" || !historyUrlProblem(v), {
  error: "must be sqlite:PATH, postgres://USER@HOST:PORT/DB, or off",
});
/** TOPO_HISTORY_RETENTION: records older than the age go, and beyond the count per topology the oldest. */
const historyRetention = z
  .string()
  .default("90d,100000")
  .transform((v, ctx) => {
    const r = parseRetention(v);
    if (!r)
      ctx.addIssue({
        code: "custom",
        message: "must be AGE or AGE,COUNT, e.g. 90d or 30d,50000 (s, m, h, d, w)",
      });
    return r ?? { maxAgeMs: 0 };
  });
export const historySettings = {
  TOPO_HISTORY_RETENTION: historyRetention,
};

/** The single-machine commands' configuration (`topo up`, `down`, `status`, `logs`, `dashboard --source compose`). */
export const LocalConfig = z.object({
  TOPO_COMPOSE: z.enum(["auto", "v1", "v2"]).default("auto"),
  TOPO_DOCKER: z.string().min(1).default("docker"),
  TOPO_STATE_DIR: z.string().min(1).optional(),
  /** Unset: /run/containerd/containerd.sock (cli/build.ts DEFAULT_CONTAINERD_ADDRESS). */
  TOPO_CONTAINERD_ADDRESS: z.string().min(1).optional(),
  TOPO_KIND_CLUSTER: z.string().min(1).optional(),
  /** Unset: sqlite:~/.local/state/topo/history.db (history/store.ts defaultHistoryUrl). */
  TOPO_HISTORY_URL: historyUrl.optional(),
  ...historySettings,
});
export type LocalConfig = z.infer<typeof LocalConfig>;

/** Reads and validates the local commands' environment; a bad value fails with one line naming the variable. */
export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  return parseEnv(LocalConfig, env);
}

/** An empty variable counts as unset; the first bad one fails with one line naming it. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const known = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] || undefined]));
  // Parsed once per process: zod's JIT (a compiled parser per object schema) would cost more than it saves.
  const parsed = schema.safeParse(known, { jitless: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    throw new ConfigError(`invalid environment: ${key}=${JSON.stringify(env[key])}: ${issue.message}`);
  }
  return parsed.data;
}
