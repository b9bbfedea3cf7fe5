// Signing in to the dashboard with OpenID Connect, in Chromium, against a real OpenID provider
// (oidc-provider, started here): the provider's form, the allow-list, expiry, sign-out, and /api and the
// event stream refusing whoever has neither a session nor the token. The dashboard runs in this process
// over an in-memory source, so the test can move its session clock instead of waiting out a TTL.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { loadDashboardConfig } from "../../../operator/src/config.ts";
import { serveDashboard } from "../../../operator/src/dashboard/server.ts";
import { freePort, ROOT, waitFor } from "../operator/harness.ts";
import { cspViolations, ensureWebBuilt, launch, openPage, screenshot, startDashboardCli } from "./browser.ts";
import { generatedTopology, MEMORY_NAMESPACE, memorySource } from "./memory-source.ts";
import { startOidcProvider, type TestProvider } from "./oidc-provider.ts";

const TOKEN = "login-test-token";
const TTL = 600;
const USERS = {
  alice: { password: "alice-pw", claims: { name: "Alice Ops", email: "alice@example.com", groups: ["ops"] } },
  bob: { password: "bob-pw", claims: { name: "Bob Dev", email: "bob@example.com", groups: ["dev"] } },
  carol: { password: "carol-pw", claims: { name: "Carol", email: "carol@example.com" } },
};

describe("dashboard sign-in with OpenID Connect", () => {
  let provider: TestProvider;
  let dashboard: Awaited<ReturnType<typeof serveDashboard>>;
  let browser: Browser;
  let url: string;
  let skewMs = 0;
  let cliPort: number;

  beforeAll(async () => {
    ensureWebBuilt();
    const [providerPort, port] = await Promise.all([freePort(), freePort()]);
    cliPort = await freePort();
    url = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({
      port: providerPort,
      client: {
        id: "topo-dashboard",
        secret: "dashboard-secret",
        redirectUris: [`${url}/auth/callback`, `http://127.0.0.1:${cliPort}/auth/callback`],
      },
      users: USERS,
    });
    // Through the same reader as `topo dashboard` and the operator: the settings as a person writes them.
    const config = loadDashboardConfig({
      TOPO_DASHBOARD_TOKEN: TOKEN,
      TOPO_DASHBOARD_OIDC_ISSUER_URL: provider.issuer,
      TOPO_DASHBOARD_OIDC_CLIENT_ID: "topo-dashboard",
      TOPO_DASHBOARD_OIDC_CLIENT_SECRET: "dashboard-secret",
      TOPO_DASHBOARD_OIDC_REDIRECT_URL: `${url}/auth/callback`,
      TOPO_DASHBOARD_OIDC_SCOPES: "openid profile email groups",
      TOPO_DASHBOARD_OIDC_ALLOWED_USERS: "carol@example.com",
      TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS: "ops",
      TOPO_DASHBOARD_OIDC_SESSION_SECRET: randomBytes(32).toString("hex"),
      TOPO_DASHBOARD_OIDC_SESSION_TTL_SECONDS: String(TTL),
    });
    dashboard = await serveDashboard({
      source: memorySource([generatedTopology("web", "linear", 3)]),
      port,
      host: "127.0.0.1",
      token: config.TOPO_DASHBOARD_TOKEN!,
      oidc: config.dashboardOidc!,
      now: () => Date.now() + skewMs,
      keepAliveMs: 250,
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await provider?.close();
  });

  /** Fills the provider's form (the page is on it, or on its way there). */
  async function fillProviderForm(page: Page, user: keyof typeof USERS): Promise<void> {
    await page.waitForURL((u) => u.href.startsWith(`${provider.issuer}/interaction/`));
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(USERS[user].password);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  /** A new browser context that opened the dashboard and signed in as `user`. */
  async function signedIn(user: keyof typeof USERS): Promise<Page> {
    const page = await openPage(browser);
    await page.goto(`${url}/`);
    await fillProviderForm(page, user);
    await page.waitForURL(`${url}/#/${MEMORY_NAMESPACE}/web`);
    await page.locator("#who").getByText(USERS[user].claims.name).waitFor();
    return page;
  }

  const sessionCookie = async (page: Page) =>
    (await page.context().cookies(url)).find((c) => c.name === "topo_session");
  const apiStatus = (page: Page) =>
    page.evaluate(async () => (await fetch("/api/topologies", { cache: "no-store" })).status);

  it("refuses /api and the event stream without a session or the token, and sends a page to sign in", async () => {
    const refused = await fetch(`${url}/api/topologies`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "unauthorized", login: "/auth/login" });
    expect((await fetch(`${url}/api/events`)).status).toBe(401);
    expect(
      (await fetch(`${url}/api/topologies`, { headers: { cookie: "topo_session=eyJ4IjoxfQ.AAAA" } })).status,
    ).toBe(401);
    const page = await fetch(`${url}/`, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/auth/login?return=%2F");
    expect((await fetch(`${url}/auth/session`)).status).toBe(401);
    expect((await fetch(`${url}/auth/logout`)).status).toBe(405);
    const crossSite = await fetch(`${url}/auth/logout`, {
      method: "POST",
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    // The bearer token works beside the login, for scripts.
    const withToken = await fetch(`${url}/api/topologies`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(200);
    expect((await withToken.json()).map((t: { name: string }) => t.name)).toEqual(["web"]);
  });

  it("signs a person of an allowed group in through the provider's form, in an HttpOnly SameSite cookie", async () => {
    const page = await signedIn("alice");
    const cookie = (await sessionCookie(page))!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(cookie.expires - Date.now() / 1000).toBeGreaterThan(TTL - 60);
    expect(cookie.expires - Date.now() / 1000).toBeLessThanOrEqual(TTL);
    expect(await apiStatus(page)).toBe(200);
    await page.locator("#live[data-state=live]").waitFor();
    const session = await page.evaluate(async () => (await fetch("/auth/session")).json());
    expect(session).toMatchObject({ name: "Alice Ops", sub: "alice", logout: "/auth/logout" });
    expect(await cspViolations(page)).toEqual([]);
    await page.context().close();
  });

  it("refuses someone on neither list, and lets them sign in as someone else who is", async () => {
    const page = await openPage(browser);
    await page.goto(`${url}/`);
    await fillProviderForm(page, "bob");
    await page.getByRole("heading", { name: "You are not allowed here" }).waitFor();
    await expect(page.locator("main").textContent()).resolves.toContain("You signed in as Bob Dev");
    expect(await sessionCookie(page)).toBeUndefined();
    expect(await apiStatus(page)).toBe(401);
    expect(await cspViolations(page)).toEqual([]);
    await screenshot(page, "login-denied");

    // The provider remembers bob; "someone else" makes it ask again. carol is allowed by her email.
    await page.getByRole("link", { name: "Sign in as someone else" }).click();
    await fillProviderForm(page, "carol");
    await page.waitForURL(`${url}/#/${MEMORY_NAMESPACE}/web`);
    await page.locator("#who").getByText("Carol").waitFor();
    expect(await apiStatus(page)).toBe(200);
    await page.context().close();
  });

  it("ends a session at its expiry: the old cookie is refused, and the open page goes to sign in again", async () => {
    const page = await signedIn("alice");
    const before = (await sessionCookie(page))!.value;
    const signIn = page.waitForRequest((r) => r.url().startsWith(`${url}/auth/login`));
    skewMs += (TTL + 1) * 1000;
    // The open event stream ends at its next keep-alive; the page finds out why and goes to sign in. The
    // provider still knows alice, so she comes back without the form, with a new session.
    await signIn;
    const after = await waitFor("a new session cookie", async () => {
      const c = await sessionCookie(page);
      return c && c.value !== before ? c.value : undefined;
    });
    expect(
      (await fetch(`${url}/api/topologies`, { headers: { cookie: `topo_session=${before}` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${url}/api/topologies`, { headers: { cookie: `topo_session=${after}` } })).status,
    ).toBe(200);
    await page.context().close();
  });

  it("signs out: the cookie is gone and /api refuses the page", async () => {
    const page = await signedIn("carol");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "You are signed out" }).waitFor();
    expect(await sessionCookie(page)).toBeUndefined();
    expect(await apiStatus(page)).toBe(401);
    expect(await cspViolations(page)).toEqual([]);
    await page.context().close();
  });

  it("is what `topo dashboard` serves from TOPO_DASHBOARD_OIDC_*, and a missing setting stops it, named", async () => {
    const oidcEnv = {
      TOPO_DASHBOARD_OIDC_ISSUER_URL: provider.issuer,
      TOPO_DASHBOARD_OIDC_CLIENT_ID: "topo-dashboard",
      TOPO_DASHBOARD_OIDC_CLIENT_SECRET: "dashboard-secret",
      TOPO_DASHBOARD_OIDC_REDIRECT_URL: `http://127.0.0.1:${cliPort}/auth/callback`,
      TOPO_DASHBOARD_OIDC_ALLOWED_USERS: "*",
      TOPO_DASHBOARD_OIDC_SESSION_SECRET: randomBytes(32).toString("hex"),
    };
    const missing = spawnSync(
      process.execPath,
      [join(ROOT, "operator/src/cli/bin.ts"), "dashboard", "--source", "compose", "--port", String(cliPort)],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...oidcEnv, TOPO_DASHBOARD_OIDC_SESSION_SECRET: "" },
      },
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("TOPO_DASHBOARD_OIDC_SESSION_SECRET is required");

    const cli = await startDashboardCli(["--source", "compose"], cliPort, oidcEnv);
    try {
      const base = `http://127.0.0.1:${cliPort}`;
      expect(cli.logs()).toContain(`(sign-in with ${provider.issuer}/)`);
      const refused = await fetch(`${base}/api/topologies`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: "unauthorized", login: "/auth/login" });
      const page = await fetch(`${base}/`, { redirect: "manual" });
      expect(page.headers.get("location")).toBe("/auth/login?return=%2F");
      // The sign-in goes to the provider with this dashboard's client, redirect URL and a PKCE challenge.
      const login = await fetch(`${base}/auth/login?return=%2F`, { redirect: "manual" });
      expect(login.status).toBe(303);
      const authorize = new URL(login.headers.get("location")!);
      expect(authorize.origin).toBe(provider.issuer);
      expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
        client_id: "topo-dashboard",
        redirect_uri: oidcEnv.TOPO_DASHBOARD_OIDC_REDIRECT_URL,
        response_type: "code",
        code_challenge_method: "S256",
        scope: "openid profile email",
      });
      expect(authorize.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
      expect(login.headers.get("set-cookie")).toMatch(
        /^topo_login=[^;]+; Path=\/auth\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/,
      );
    } finally {
      await cli.stop();
    }
  });
});
