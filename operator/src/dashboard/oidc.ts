// The dashboard's OpenID Connect login: authorization code with PKCE through openid-client, the person's
// session in a signed HttpOnly cookie, an allow-list of users or groups read from the claims, and logout.
// The API server is not involved: the dashboard reads the cluster with its own credentials.
import express, { type Request, type Response, type Router } from "express";
import * as client from "openid-client";
import type { DashboardOidc } from "../config.ts";
import { cookieSigner, readCookies, serializeCookie } from "./session.ts";

export const SESSION_COOKIE = "topo_session";
const LOGIN_COOKIE = "topo_login";
export const LOGIN_PATH = "/auth/login";
export const LOGOUT_PATH = "/auth/logout";
export const SESSION_PATH = "/auth/session";
/** How long a login may take at the provider, from the redirect to the callback. */
const LOGIN_SECONDS = 600;

/** A signed-in person, as the session cookie carries them. */
export interface SessionUser {
  sub: string;
  name: string;
  /** Which of the person's names (sub, email, preferred_username) are on the allow-list, or `*`. */
  users: string[];
  /** Which of the person's groups are on the allow-list. */
  groups: string[];
  exp: number;
}

interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  exp: number;
}

export interface OidcLoginOptions {
  oidc: DashboardOidc;
  /** Milliseconds since the epoch; the tests move it to expire a session. */
  now?: () => number;
  log?: { warn(obj: object, msg: string): void };
}

export interface OidcLogin {
  /** /auth/login, the callback (the redirect URL's path), /auth/logout, /auth/session. */
  router: Router;
  /** The person whose valid session the request carries, still on the allow-list. */
  user(req: Request): SessionUser | undefined;
  /** Where a browser is sent to log in and come back to `returnTo`. */
  loginUrl(returnTo: string): string;
}

/** Only a path on this origin: `//host` and `/\host` would leave it (an open redirect). */
export function safeReturnTo(value: unknown): string {
  return typeof value === "string" && /^\/(?![/\\])/.test(value) ? value : "/";
}

/** A claim by name, or a dotted path into nested claims (Keycloak's `realm_access.roles`). */
function claim(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  return path
    .split(".")
    .reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as never)[k] : undefined), claims);
}

const strings = (v: unknown): string[] =>
  typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** What of a person the allow-list admits, or undefined when nothing does. */
export function admit(
  claims: Record<string, unknown>,
  o: Pick<DashboardOidc, "allowedUsers" | "allowedGroups" | "groupsClaim">,
): Pick<SessionUser, "users" | "groups"> | undefined {
  // An email the provider says it has not verified names nobody.
  const email = claims.email_verified === false ? [] : strings(claims.email);
  const names = [...strings(claims.sub), ...email, ...strings(claims.preferred_username)];
  const users = o.allowedUsers.includes("*") ? ["*"] : names.filter((n) => o.allowedUsers.includes(n));
  const groups = strings(claim(claims, o.groupsClaim)).filter((g) => o.allowedGroups.includes(g));
  return users.length || groups.length ? { users, groups } : undefined;
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:34rem;margin:12vh auto;padding:2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}
h1{font-size:1.4rem;margin:0 0 1rem}p{margin:.5rem 0 1rem}code{background:#eef1f4;padding:0 .25rem;border-radius:3px}
.actions{display:flex;gap:.75rem;align-items:center}a.button,button{font:inherit;padding:.45rem 1rem;border-radius:6px;
border:1px solid #1f6feb;background:#1f6feb;color:#fff;text-decoration:none;cursor:pointer}
form{margin:0}.secondary{background:#fff;color:#1f6feb}.brand{color:#57606a;font-weight:600;margin:0 0 1.5rem}
`;

/** A small page of its own (the front end is for signed-in people), styled from /auth/style.css for the CSP. */
function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set("Cache-Control", "no-store")
    .type("html")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escape(title)} · Topo dashboard</title><link rel="stylesheet" href="/auth/style.css"></head>` +
        `<body><main><p class="brand">Topo dashboard</p><h1>${escape(title)}</h1>${body}</main></body></html>\n`,
    );
}

export function createOidcLogin(o: OidcLoginOptions): OidcLogin {
  const { oidc } = o;
  const nowSeconds = () => Math.floor((o.now ?? Date.now)() / 1000);
  const sessions = cookieSigner(oidc.sessionSecret, "session");
  const logins = cookieSigner(oidc.sessionSecret, "login");
  const secure = oidc.redirectUrl.protocol === "https:";
  const callbackPath = oidc.redirectUrl.pathname;

  // Discovered at the first login, not at start, so the dashboard serves (and its token works) while the
  // provider is down; a failed discovery is tried again at the next login.
  let config: Promise<client.Configuration> | undefined;
  const configuration = () =>
    (config ??= client
      .discovery(
        oidc.issuer,
        oidc.clientId,
        oidc.clientSecret ? undefined : { token_endpoint_auth_method: "none" },
        oidc.clientSecret ? client.ClientSecretBasic(oidc.clientSecret) : client.None(),
        {
          timeout: 10,
          // http only for a provider on this machine (config.ts refuses it elsewhere).
          ...(oidc.issuer.protocol === "http:" ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((err: unknown) => {
        config = undefined;
        throw err;
      }));

  const user = (req: Request): SessionUser | undefined => {
    const s = sessions.open<SessionUser>(readCookies(req.get("cookie")).get(SESSION_COOKIE), nowSeconds());
    if (!s) return undefined;
    // Checked on every request against today's allow-list, so removing someone takes effect at once.
    const still =
      s.users.some((u) => oidc.allowedUsers.includes(u)) ||
      s.groups.some((g) => oidc.allowedGroups.includes(g));
    return still ? s : undefined;
  };
  const loginUrl = (returnTo: string) => `${LOGIN_PATH}?return=${encodeURIComponent(safeReturnTo(returnTo))}`;
  const setCookie = (res: Response, name: string, value: string, path: string, maxAge: number) =>
    res.append("Set-Cookie", serializeCookie(name, value, { path, maxAge, secure }));

  const router = express.Router();
  router.get(
    "/auth/style.css",
    (_req, res) => void res.type("css").set("Cache-Control", "max-age=3600").send(STYLE),
  );

  router.get(LOGIN_PATH, async (req, res) => {
    let cfg: client.Configuration;
    try {
      cfg = await configuration();
    } catch (err) {
      o.log?.warn(
        { err: String(err), issuer: oidc.issuer.href },
        "dashboard: OpenID provider discovery failed",
      );
      page(
        res,
        502,
        "The sign-in service cannot be reached",
        `<p>The OpenID provider at <code>${escape(oidc.issuer.href)}</code> did not answer. Try again in a moment.</p>` +
          `<p class="actions"><a class="button" href="${escape(loginUrl(String(req.query.return ?? "/")))}">Try again</a></p>`,
      );
      return;
    }
    const verifier = client.randomPKCECodeVerifier();
    const tx: LoginState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier,
      returnTo: safeReturnTo(req.query.return),
      exp: nowSeconds() + LOGIN_SECONDS,
    };
    const url = client.buildAuthorizationUrl(cfg, {
      redirect_uri: oidc.redirectUrl.href,
      scope: oidc.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state: tx.state,
      nonce: tx.nonce,
      // "Sign in as someone else" from the denied page: the provider asks again instead of reusing its session.
      ...(req.query.switch !== undefined ? { prompt: "login" } : {}),
    });
    setCookie(res, LOGIN_COOKIE, logins.seal(tx), callbackPath, LOGIN_SECONDS);
    res.set("Cache-Control", "no-store").redirect(303, url.href);
  });

  router.get(callbackPath, async (req, res) => {
    const tx = logins.open<LoginState>(readCookies(req.get("cookie")).get(LOGIN_COOKIE), nowSeconds());
    setCookie(res, LOGIN_COOKIE, "", callbackPath, 0);
    const again = `<p class="actions"><a class="button" href="${LOGIN_PATH}">Sign in again</a></p>`;
    if (!tx) {
      page(
        res,
        400,
        "The sign-in expired",
        `<p>This sign-in was started too long ago or in another browser.</p>${again}`,
      );
      return;
    }
    if (typeof req.query.error === "string") {
      const why =
        typeof req.query.error_description === "string" ? req.query.error_description : req.query.error;
      page(res, 403, "Sign-in was refused", `<p>The provider said: ${escape(why)}</p>${again}`);
      return;
    }
    let claims: Record<string, unknown>;
    try {
      const cfg = await configuration();
      // The URL the provider redirected to, as configured: behind an Ingress the request's own host differs.
      const current = new URL(oidc.redirectUrl);
      current.search = new URL(req.originalUrl, "http://callback").search;
      const tokens = await client.authorizationCodeGrant(cfg, current, {
        pkceCodeVerifier: tx.verifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims() };
      // Providers differ in what the ID token carries (oidc-provider keeps profile and groups for
      // userinfo): the userinfo response, bound to the same subject, completes it.
      if (cfg.serverMetadata().userinfo_endpoint && tokens.access_token)
        claims = { ...(await client.fetchUserInfo(cfg, tokens.access_token, String(claims.sub))), ...claims };
    } catch (err) {
      o.log?.warn({ err: String(err) }, "dashboard: OpenID Connect sign-in failed");
      page(
        res,
        400,
        "Sign-in failed",
        `<p>${escape(err instanceof Error ? err.message : String(err))}</p>${again}`,
      );
      return;
    }
    const sub = String(claims.sub);
    const name = [claims.name, claims.preferred_username, claims.email, sub].find(
      (v): v is string => typeof v === "string" && v !== "",
    )!;
    const admitted = admit(claims, oidc);
    if (!admitted) {
      o.log?.warn({ sub, name }, "dashboard: sign-in refused, not on the allow-list");
      page(
        res,
        403,
        "You are not allowed here",
        `<p>You signed in as <strong>${escape(name)}</strong>, who is not on this dashboard's allow-list of users and groups.</p>` +
          `<p>Ask whoever runs it to add you, or sign in as someone else.</p>` +
          `<p class="actions"><a class="button" href="${LOGIN_PATH}?switch">Sign in as someone else</a></p>`,
      );
      return;
    }
    const session: SessionUser = { sub, name, ...admitted, exp: nowSeconds() + oidc.sessionTtlSeconds };
    setCookie(res, SESSION_COOKIE, sessions.seal(session), "/", oidc.sessionTtlSeconds);
    res.set("Cache-Control", "no-store").redirect(303, tx.returnTo);
  });

  // POST only, so a link or an image elsewhere cannot sign anyone out; and not from another site's form
  // (the browser says where a request comes from in Sec-Fetch-Site).
  router.post(LOGOUT_PATH, (req, res) => {
    if (req.get("sec-fetch-site") === "cross-site") {
      res.status(403).json({ error: "sign out from the dashboard's own page" });
      return;
    }
    setCookie(res, SESSION_COOKIE, "", "/", 0);
    page(
      res,
      200,
      "You are signed out",
      `<p>Your dashboard session has ended. The provider may still remember you, and sign you in again without asking.</p>` +
        `<p class="actions"><a class="button" href="${LOGIN_PATH}">Sign in</a>` +
        `<a class="button secondary" href="${LOGIN_PATH}?switch">Sign in as someone else</a></p>`,
    );
  });
  router.all(
    LOGOUT_PATH,
    (_req, res) => void res.set("Allow", "POST").status(405).json({ error: "sign out with POST" }),
  );

  router.get(SESSION_PATH, (req, res) => {
    const s = user(req);
    res.set("Cache-Control", "no-store");
    if (!s) res.status(401).json({ error: "unauthorized", login: LOGIN_PATH });
    else
      res.json({
        sub: s.sub,
        name: s.name,
        expiresAt: new Date(s.exp * 1000).toISOString(),
        logout: LOGOUT_PATH,
      });
  });

  return { router, user, loginUrl };
}
