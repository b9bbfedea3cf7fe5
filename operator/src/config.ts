// The operator's configuration: environment variables only, validated with zod (.env.example lists them all).
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { ConfigError } from "./errors.ts";
import { historySettings, historyUrl, LocalConfig, parseEnv } from "./local-config.ts";

export { LocalConfig, loadLocalConfig } from "./local-config.ts";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

function podNamespace(): string {
  try {
    return readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8").trim();
  } catch {
    return "default";
  }
}

/**
 * The shortest watchdog accepted. client-node's Watch aborts a watch that has delivered no data for 30 s
 * (`requestTimeoutMs` in dist/watch.js) and its ListWatch reconnects it at once (dist/cache.js): that is
 * how a healthy idle watch shows it is alive, every 30 s. A watchdog below that fires on every idle watch
 * (issue 20: 104 restarts in 2.5 minutes at 20 s). Twice that covers the reconnect's own latency, and a
 * watch the server ended, which ListWatch reconnects after a delay that is reset by the first event.
 * Refused rather than raised in silence: the operator says at start which setting cannot work.
 * config.test.ts holds this to the installed client-node's timeout.
 */
export const MIN_WATCHDOG_SECONDS = 60;

const commaList = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/**
 * The dashboard's OpenID Connect login (docs/dashboard.md, Logging in). Read raw here; readDashboardOidc()
 * checks them together and applies the defaults, so a dashboard without OIDC carries none of them.
 */
export const DashboardOidcEnv = z.object({
  TOPO_DASHBOARD_OIDC_ISSUER_URL: httpUrl.optional(),
  TOPO_DASHBOARD_OIDC_CLIENT_ID: z.string().min(1).optional(),
  TOPO_DASHBOARD_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  TOPO_DASHBOARD_OIDC_REDIRECT_URL: httpUrl.optional(),
  TOPO_DASHBOARD_OIDC_SCOPES: z
    .string()
    .regex(/(^|\s)openid(\s|$)/, { error: "must include openid" })
    .optional(),
  TOPO_DASHBOARD_OIDC_ALLOWED_USERS: commaList.optional(),
  TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS: commaList.optional(),
  TOPO_DASHBOARD_OIDC_GROUPS_CLAIM: z.string().min(1).optional(),
  TOPO_DASHBOARD_OIDC_SESSION_SECRET: z
    .string()
    .min(32, { error: "must be at least 32 characters (e.g. `openssl rand -hex 32`)" })
    .optional(),
  TOPO_DASHBOARD_OIDC_SESSION_TTL_SECONDS: int(60, 7 * 86_400).optional(),
});

/** The OIDC login as the dashboard takes it: every setting checked, defaults applied. */
export interface DashboardOidc {
  issuer: URL;
  clientId: string;
  /** Absent: a public client, which PKCE alone protects. */
  clientSecret?: string;
  redirectUrl: URL;
  scopes: string;
  /** `*` allows everyone the provider signs in; otherwise sub, email or preferred_username. */
  allowedUsers: string[];
  allowedGroups: string[];
  groupsClaim: string;
  sessionSecret: string;
  sessionTtlSeconds: number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The OIDC settings together, or undefined when no TOPO_DASHBOARD_OIDC_* variable is set. */
export function readDashboardOidc(c: z.infer<typeof DashboardOidcEnv>): DashboardOidc | undefined {
  const set = Object.entries(c).filter(([k, v]) => k.startsWith("TOPO_DASHBOARD_OIDC_") && v !== undefined);
  if (set.length === 0) return undefined;
  const need = (key: keyof typeof c, why: string) => {
    if (c[key] === undefined) throw new ConfigError(`invalid environment: ${key} is required ${why}`);
  };
  const withOidc = `when ${set[0]![0]} is set (OIDC login)`;
  need("TOPO_DASHBOARD_OIDC_ISSUER_URL", withOidc);
  need("TOPO_DASHBOARD_OIDC_CLIENT_ID", withOidc);
  need("TOPO_DASHBOARD_OIDC_REDIRECT_URL", withOidc);
  need("TOPO_DASHBOARD_OIDC_SESSION_SECRET", `${withOidc}: it signs the session cookies`);
  const users = c.TOPO_DASHBOARD_OIDC_ALLOWED_USERS ?? [];
  const groups = c.TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS ?? [];
  if (users.length === 0 && groups.length === 0)
    throw new ConfigError(
      "invalid environment: TOPO_DASHBOARD_OIDC_ALLOWED_USERS or TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS must name someone (ALLOWED_USERS=* lets in everyone the provider signs in)",
    );
  const issuer = new URL(c.TOPO_DASHBOARD_OIDC_ISSUER_URL!);
  if (issuer.protocol === "http:" && !LOOPBACK.has(issuer.hostname))
    throw new ConfigError(
      `invalid environment: TOPO_DASHBOARD_OIDC_ISSUER_URL=${JSON.stringify(c.TOPO_DASHBOARD_OIDC_ISSUER_URL)}: must be https (http only on 127.0.0.1 or localhost)`,
    );
  const redirectUrl = new URL(c.TOPO_DASHBOARD_OIDC_REDIRECT_URL!);
  if (/^\/((api|assets)(\/.*)?|auth\/(login|logout|session|style\.css))?$/.test(redirectUrl.pathname))
    throw new ConfigError(
      `invalid environment: TOPO_DASHBOARD_OIDC_REDIRECT_URL=${JSON.stringify(c.TOPO_DASHBOARD_OIDC_REDIRECT_URL)}: its path is the dashboard's callback, so not /, another /auth/ page, nor under /api or /assets (e.g. /auth/callback)`,
    );
  return {
    issuer,
    clientId: c.TOPO_DASHBOARD_OIDC_CLIENT_ID!,
    ...(c.TOPO_DASHBOARD_OIDC_CLIENT_SECRET ? { clientSecret: c.TOPO_DASHBOARD_OIDC_CLIENT_SECRET } : {}),
    redirectUrl,
    scopes: c.TOPO_DASHBOARD_OIDC_SCOPES ?? "openid profile email",
    allowedUsers: users,
    allowedGroups: groups,
    groupsClaim: c.TOPO_DASHBOARD_OIDC_GROUPS_CLAIM ?? "groups",
    sessionSecret: c.TOPO_DASHBOARD_OIDC_SESSION_SECRET!,
    sessionTtlSeconds: c.TOPO_DASHBOARD_OIDC_SESSION_TTL_SECONDS ?? 8 * 3600,
  };
}

export const Config = z.object({
  TOPO_NAMESPACES: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  TOPO_WORKERS: int(1, 64).default(16),
  TOPO_APPLY_CONCURRENCY: int(1, 1024).default(32),
  TOPO_RESYNC_SECONDS: int(1, 86_400).default(300),
  TOPO_WATCHDOG_SECONDS: z.coerce
    .number()
    .int()
    .max(86_400)
    .min(MIN_WATCHDOG_SECONDS, {
      error: `must be at least ${MIN_WATCHDOG_SECONDS}: the Kubernetes client reconnects an idle watch every 30 s, and a shorter watchdog restarts healthy watches`,
    })
    .default(600),
  TOPO_LEADER_ELECT: bool.default(false),
  TOPO_LEASE_NAME: z.string().min(1).default("topo-operator"),
  TOPO_LEASE_NAMESPACE: z.string().min(1).optional(),
  TOPO_LEASE_DURATION_SECONDS: int(2, 600).default(15),
  TOPO_RENEW_DEADLINE_SECONDS: int(1, 600).default(10),
  TOPO_RETRY_PERIOD_SECONDS: int(1, 600).default(2),
  TOPO_POD_NAME: z.string().optional(),
  TOPO_HTTP_HOST: z.string().default("0.0.0.0"),
  TOPO_HTTP_PORT: int(1, 65_535).default(8081),
  TOPO_DASHBOARD_ENABLED: bool.default(true),
  TOPO_DASHBOARD_PORT: int(1, 65_535).default(8080),
  TOPO_DASHBOARD_TOKEN: z.string().optional(),
  ...DashboardOidcEnv.shape,
  TOPO_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** The operator records history only when this is set (its pod has no durable disk of its own). */
  TOPO_HISTORY_URL: historyUrl.optional(),
  ...historySettings,
  /** Records waiting for an unreachable database at most; beyond it the oldest are dropped (counted). */
  TOPO_HISTORY_BUFFER: int(100, 1_000_000).default(10_000),
});
export type Config = z.infer<typeof Config> & {
  identity: string;
  leaseNamespace: string;
  dashboardOidc?: DashboardOidc;
};

export { ConfigError };

/** Reads and validates the environment; a bad value fails with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(Config.shape).map((k) => [k, env[k] === "" && k !== "TOPO_NAMESPACES" ? undefined : env[k]]),
  );
  const parsed = Config.safeParse(known, { jitless: true }); // once per process: no JIT (local-config.ts)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `invalid environment: ${String(issue.path[0])}=${JSON.stringify(env[String(issue.path[0])])}: ${issue.message}`,
    );
  }
  const c = parsed.data;
  if (c.TOPO_RENEW_DEADLINE_SECONDS >= c.TOPO_LEASE_DURATION_SECONDS)
    throw new ConfigError(
      "invalid environment: TOPO_RENEW_DEADLINE_SECONDS must be less than TOPO_LEASE_DURATION_SECONDS",
    );
  const dashboardOidc = readDashboardOidc(c);
  return {
    ...c,
    identity: c.TOPO_POD_NAME ?? `${hostname()}-${process.pid}`,
    leaseNamespace: c.TOPO_LEASE_NAMESPACE ?? podNamespace(),
    ...(dashboardOidc ? { dashboardOidc } : {}),
  };
}

/** The prefix of the variables `topo up` reads secret values from: TOPO_SECRET_<SECRET>_<KEY>. */
export const SECRET_VARIABLE_PREFIX = "TOPO_SECRET_";

/**
 * The secret values the environment holds, of the variables named (a topology's secretRefs decide which,
 * so no schema lists them): an unset one is left out; an empty one is a value (an empty password).
 */
export function loadSecretVariables(
  names: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    if (!name.startsWith(SECRET_VARIABLE_PREFIX))
      throw new ConfigError(`not a secret variable: ${name} (they start with ${SECRET_VARIABLE_PREFIX})`);
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * `topo dashboard` on its own: the local commands' variables (the Compose source's engine), where the
 * cluster is, and the dashboard's own settings as the operator reads them.
 */
export const DashboardConfig = LocalConfig.extend({
  /** The kubeconfig of the kube source (client-node reads the file itself). */
  KUBECONFIG: z.string().min(1).optional(),
  /** Set by Kubernetes in every pod: without KUBECONFIG, the in-cluster service account is used. */
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  TOPO_NAMESPACES: Config.shape.TOPO_NAMESPACES,
  TOPO_DASHBOARD_PORT: Config.shape.TOPO_DASHBOARD_PORT,
  TOPO_DASHBOARD_TOKEN: Config.shape.TOPO_DASHBOARD_TOKEN,
  ...DashboardOidcEnv.shape,
});
export type DashboardConfig = z.infer<typeof DashboardConfig> & { dashboardOidc?: DashboardOidc };

export function loadDashboardConfig(env: NodeJS.ProcessEnv = process.env): DashboardConfig {
  const c = parseEnv(DashboardConfig, env);
  const dashboardOidc = readDashboardOidc(c);
  return dashboardOidc ? { ...c, dashboardOidc } : c;
}
