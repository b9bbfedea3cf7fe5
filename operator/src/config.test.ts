import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { Watch } from "@kubernetes/client-node/dist/watch.js";
import {
  Config,
  ConfigError,
  DashboardConfig,
  LocalConfig,
  MIN_WATCHDOG_SECONDS,
  loadConfig,
  loadDashboardConfig,
  loadLocalConfig,
  loadSecretVariables,
} from "./config.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const documented = readFileSync(join(ROOT, ".env.example"), "utf8")
  .split("\n")
  .filter((l) => /^[A-Z_]+=/.test(l))
  .map((l) => l.slice(0, l.indexOf("=")));

describe("operator configuration", () => {
  it("lists every variable the schema reads in .env.example, and nothing the schema does not read", () => {
    const read = new Set([...Object.keys(Config.shape), ...Object.keys(LocalConfig.shape)]);
    expect(documented.filter((k) => k.startsWith("TOPO_")).sort()).toEqual([...read].sort());
  });

  it("uses the documented defaults when the environment is empty", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      TOPO_NAMESPACES: [],
      TOPO_WORKERS: 16,
      TOPO_APPLY_CONCURRENCY: 32,
      TOPO_LEADER_ELECT: false,
      TOPO_LEASE_DURATION_SECONDS: 15,
      TOPO_RENEW_DEADLINE_SECONDS: 10,
      TOPO_RETRY_PERIOD_SECONDS: 2,
      TOPO_HTTP_PORT: 8081,
      TOPO_DASHBOARD_PORT: 8080,
    });
    const example = Object.fromEntries(
      readFileSync(join(ROOT, ".env.example"), "utf8")
        .split("\n")
        .filter((l) => /^TOPO_[A-Z_]+=./.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const fromExample = { ...loadConfig(example), ...loadLocalConfig(example) };
    const defaults = { ...c, ...loadLocalConfig({}) };
    for (const key of Object.keys(example)) {
      expect(String((fromExample as Record<string, unknown>)[key])).toBe(
        String((defaults as Record<string, unknown>)[key]),
      );
    }
  });

  it("records history only when TOPO_HISTORY_URL is set, and checks its scheme and the retention", () => {
    expect(loadConfig({}).TOPO_HISTORY_URL).toBeUndefined();
    expect(loadConfig({}).TOPO_HISTORY_RETENTION).toEqual({ maxAgeMs: 90 * 86_400_000, maxRecords: 100_000 });
    expect(loadConfig({ TOPO_HISTORY_URL: "postgres://topo@db:5432/topo" }).TOPO_HISTORY_URL).toBe(
      "postgres://topo@db:5432/topo",
    );
    expect(() => loadConfig({ TOPO_HISTORY_URL: "mysql://db/topo" })).toThrow(
      /TOPO_HISTORY_URL="mysql:\/\/db\/topo"/,
    );
    expect(() => loadLocalConfig({ TOPO_HISTORY_RETENTION: "90 days" })).toThrow(
      /TOPO_HISTORY_RETENTION="90 days"/,
    );
    expect(loadLocalConfig({ TOPO_HISTORY_RETENTION: "7d" }).TOPO_HISTORY_RETENTION).toEqual({
      maxAgeMs: 7 * 86_400_000,
    });
  });

  it("splits namespaces and reads booleans", () => {
    const c = loadConfig({ TOPO_NAMESPACES: " a, b ,,c", TOPO_LEADER_ELECT: "true" });
    expect(c.TOPO_NAMESPACES).toEqual(["a", "b", "c"]);
    expect(c.TOPO_LEADER_ELECT).toBe(true);
  });

  it("rejects a bad value with one line naming the variable", () => {
    expect(() => loadConfig({ TOPO_WORKERS: "lots" })).toThrow(ConfigError);
    expect(() => loadConfig({ TOPO_WORKERS: "lots" })).toThrow(/^invalid environment: TOPO_WORKERS="lots": /);
    expect(() => loadConfig({ TOPO_LOG_LEVEL: "loud" })).toThrow(/TOPO_LOG_LEVEL/);
    // No apply slot at all would leave every reconcile waiting for ever.
    expect(() => loadConfig({ TOPO_APPLY_CONCURRENCY: "0" })).toThrow(
      /^invalid environment: TOPO_APPLY_CONCURRENCY="0": /,
    );
  });

  it("requires the renew deadline to be shorter than the lease", () => {
    expect(() =>
      loadConfig({ TOPO_LEASE_DURATION_SECONDS: "10", TOPO_RENEW_DEADLINE_SECONDS: "10" }),
    ).toThrow(/TOPO_RENEW_DEADLINE_SECONDS must be less than TOPO_LEASE_DURATION_SECONDS/);
  });

  it("refuses a watchdog shorter than twice the client's watch reconnect, naming the variable", () => {
    for (const v of ["20", "59", "0"])
      expect(() => loadConfig({ TOPO_WATCHDOG_SECONDS: v })).toThrow(
        new RegExp(`^invalid environment: TOPO_WATCHDOG_SECONDS="${v}": must be at least 60: `),
      );
    expect(loadConfig({ TOPO_WATCHDOG_SECONDS: "60" }).TOPO_WATCHDOG_SECONDS).toBe(60);
    expect(loadConfig({}).TOPO_WATCHDOG_SECONDS).toBe(600);
  });

  it("keeps the shortest watchdog at twice the installed client-node's watch inactivity timeout", () => {
    // dist/watch.js: the watch is aborted after this long without data, and ListWatch reconnects it.
    const { requestTimeoutMs } = new Watch(new KubeConfig()) as unknown as { requestTimeoutMs: number };
    expect(requestTimeoutMs).toBeGreaterThan(0);
    expect(MIN_WATCHDOG_SECONDS * 1000).toBeGreaterThanOrEqual(2 * requestTimeoutMs);
  });

  it("validates the local commands' variables with their defaults", () => {
    expect(loadLocalConfig({})).toEqual({
      TOPO_COMPOSE: "auto",
      TOPO_DOCKER: "docker",
      TOPO_HISTORY_RETENTION: { maxAgeMs: 90 * 86_400_000, maxRecords: 100_000 },
    });
    expect(loadLocalConfig({ TOPO_COMPOSE: "v1", TOPO_STATE_DIR: "/tmp/s" })).toMatchObject({
      TOPO_COMPOSE: "v1",
      TOPO_STATE_DIR: "/tmp/s",
    });
    expect(() => loadLocalConfig({ TOPO_COMPOSE: "v3" })).toThrow(
      /^invalid environment: TOPO_COMPOSE="v3": /,
    );
  });

  it("reads topo dashboard's variables through one schema, each one documented", () => {
    const example = readFileSync(join(ROOT, ".env.example"), "utf8");
    for (const key of Object.keys(DashboardConfig.shape)) expect(example).toContain(key);
    expect(loadDashboardConfig({})).toEqual({
      TOPO_COMPOSE: "auto",
      TOPO_DOCKER: "docker",
      TOPO_HISTORY_RETENTION: { maxAgeMs: 90 * 86_400_000, maxRecords: 100_000 },
      TOPO_NAMESPACES: [],
      TOPO_DASHBOARD_PORT: 8080,
    });
    expect(
      loadDashboardConfig({
        KUBECONFIG: "/k",
        TOPO_NAMESPACES: "a,b",
        TOPO_DASHBOARD_PORT: "9000",
        TOPO_DASHBOARD_TOKEN: "t",
        TOPO_DOCKER: "/usr/bin/docker",
      }),
    ).toMatchObject({
      KUBECONFIG: "/k",
      TOPO_NAMESPACES: ["a", "b"],
      TOPO_DASHBOARD_PORT: 9000,
      TOPO_DASHBOARD_TOKEN: "t",
      TOPO_DOCKER: "/usr/bin/docker",
    });
    expect(() => loadDashboardConfig({ TOPO_DASHBOARD_PORT: "http" })).toThrow(
      /^invalid environment: TOPO_DASHBOARD_PORT="http": /,
    );
  });

  it("reads the dashboard's OIDC login together: defaults applied, the missing or unsafe one named", () => {
    const oidc = {
      TOPO_DASHBOARD_OIDC_ISSUER_URL: "https://id.example.com/realms/x",
      TOPO_DASHBOARD_OIDC_CLIENT_ID: "topo",
      TOPO_DASHBOARD_OIDC_REDIRECT_URL: "https://topo.example.com/auth/callback",
      TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS: "ops, sre",
      TOPO_DASHBOARD_OIDC_SESSION_SECRET: "s".repeat(32),
    };
    expect(loadDashboardConfig({}).dashboardOidc).toBeUndefined();
    expect(loadConfig({}).dashboardOidc).toBeUndefined();
    const read = loadDashboardConfig(oidc).dashboardOidc!;
    expect(read).toMatchObject({
      clientId: "topo",
      scopes: "openid profile email",
      allowedUsers: [],
      allowedGroups: ["ops", "sre"],
      groupsClaim: "groups",
      sessionTtlSeconds: 28_800,
    });
    expect(read.issuer.href).toBe("https://id.example.com/realms/x");
    expect(read.clientSecret).toBeUndefined();
    expect(
      loadConfig({ ...oidc, TOPO_DASHBOARD_OIDC_SESSION_TTL_SECONDS: "60" }).dashboardOidc,
    ).toMatchObject({
      sessionTtlSeconds: 60,
    });
    const without = (key: keyof typeof oidc) => ({ ...oidc, [key]: undefined });
    expect(() => loadDashboardConfig(without("TOPO_DASHBOARD_OIDC_CLIENT_ID"))).toThrow(
      /TOPO_DASHBOARD_OIDC_CLIENT_ID is required when TOPO_DASHBOARD_OIDC_ISSUER_URL is set/,
    );
    expect(() => loadConfig(without("TOPO_DASHBOARD_OIDC_ISSUER_URL"))).toThrow(
      /TOPO_DASHBOARD_OIDC_ISSUER_URL is required/,
    );
    expect(() => loadDashboardConfig(without("TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS"))).toThrow(
      /ALLOWED_USERS or TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS must name someone/,
    );
    expect(() => loadDashboardConfig({ ...oidc, TOPO_DASHBOARD_OIDC_SESSION_SECRET: "short" })).toThrow(
      /^invalid environment: TOPO_DASHBOARD_OIDC_SESSION_SECRET="short": must be at least 32 characters/,
    );
    expect(() =>
      loadDashboardConfig({ ...oidc, TOPO_DASHBOARD_OIDC_ISSUER_URL: "http://id.example.com" }),
    ).toThrow(/must be https \(http only on 127.0.0.1 or localhost\)/);
    expect(
      loadDashboardConfig({ ...oidc, TOPO_DASHBOARD_OIDC_ISSUER_URL: "http://127.0.0.1:5556" }).dashboardOidc
        ?.issuer.port,
    ).toBe("5556");
    for (const path of ["/", "/api/callback", "/assets", "/auth/login"])
      expect(() =>
        loadDashboardConfig({ ...oidc, TOPO_DASHBOARD_OIDC_REDIRECT_URL: `https://topo.example.com${path}` }),
      ).toThrow(
        /its path is the dashboard's callback, so not \/, another \/auth\/ page, nor under \/api or \/assets/,
      );
    expect(() => loadDashboardConfig({ ...oidc, TOPO_DASHBOARD_OIDC_SCOPES: "profile" })).toThrow(
      /TOPO_DASHBOARD_OIDC_SCOPES="profile": must include openid/,
    );
    expect(() => loadDashboardConfig({ ...oidc, TOPO_DASHBOARD_OIDC_REDIRECT_URL: "topo/callback" })).toThrow(
      /TOPO_DASHBOARD_OIDC_REDIRECT_URL="topo\/callback": must be an http\(s\) URL/,
    );
  });

  it("reads the secret variables a topology names, an empty value too, and nothing else", () => {
    const env = { TOPO_SECRET_DB_PASSWORD: "pw", TOPO_SECRET_EMPTY_KEY: "", TOPO_SECRET_OTHER_KEY: "x" };
    expect(
      loadSecretVariables(["TOPO_SECRET_DB_PASSWORD", "TOPO_SECRET_EMPTY_KEY", "TOPO_SECRET_NONE_KEY"], env),
    ).toEqual({
      TOPO_SECRET_DB_PASSWORD: "pw",
      TOPO_SECRET_EMPTY_KEY: "",
    });
    expect(() => loadSecretVariables(["HOME"], env)).toThrow(ConfigError);
  });
});
