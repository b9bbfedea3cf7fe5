// The dashboard's HTTP side: a read-only JSON API under /api, a server-sent-events stream of changes, and
// the built front end as static files; security headers on everything, an optional bearer token on /api.
import { timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import type { DashboardOidc } from "../config.ts";
import { UserError } from "../errors.ts";
import type { HistoryStore } from "../history/store.ts";
import { groupedDetail } from "./groups.ts";
import { mountHistoryApi } from "./history.ts";
import { createOidcLogin, LOGIN_PATH } from "./oidc.ts";
import { PLAN_TYPES, planResponse, readPlanRequest, type Planner } from "./plan.ts";
import { debounceKeys, type DashboardSource } from "./source.ts";
import type { ChangeMessage } from "./types.ts";

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Where the built front end is: beside this file (source tree or dist/), beside the bundled executable
 * (dist/cli/, where this module is a chunk), or in the source tree.
 */
export function webRoot(): string | undefined {
  const candidates = [
    join(import.meta.dirname, "web", "dist"),
    join(import.meta.dirname, "..", "operator", "src", "dashboard", "web", "dist"),
    join(import.meta.dirname, "..", "..", "..", "..", "operator", "src", "dashboard", "web", "dist"),
  ];
  return candidates.find((d) => existsSync(join(d, "index.html")));
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface DashboardOptions {
  source: DashboardSource;
  /** When set, every /api request needs `Authorization: Bearer <token>` (or `?token=` on /api/events). */
  token?: string;
  /** When set, people sign in with OpenID Connect (oidc.ts); every page and /api request needs a session
   * (or the bearer token, when one is set too). */
  oidc?: DashboardOidc;
  /** The clock of the sessions, in milliseconds (the tests move it). */
  now?: () => number;
  /** The built front end; defaults to webRoot(). */
  staticDir?: string;
  /** The history store behind .../timeline and /recoveries (history.ts); absent: 501. */
  history?: HistoryStore;
  /** Plans a Topology document against the source's target (POST .../plan); absent: 501. */
  plan?: Planner;
  debounceMs?: number;
  keepAliveMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

export interface Dashboard {
  app: Express;
  /** Ends open event streams and stops listening to the source. */
  close(): void;
}

const PLAN_PATH = /^\/topologies\/[^/]+\/[^/]+\/plan\/?$/;

export function createDashboard(o: DashboardOptions): Dashboard {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((_req, res, next) => {
    res.set({
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "no-referrer",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    });
    next();
  });

  const login = o.oidc
    ? createOidcLogin({ oidc: o.oidc, ...(o.now ? { now: o.now } : {}), log: o.log })
    : undefined;
  if (login) app.use(login.router);

  const api = express.Router();
  api.use((req, res, next) => {
    res.set("Cache-Control", "no-store");
    // One POST: a plan, which is a computation and applies nothing.
    const plan = PLAN_PATH.test(req.path);
    if (plan ? req.method !== "POST" : req.method !== "GET" && req.method !== "HEAD") {
      res
        .set("Allow", plan ? "POST" : "GET, HEAD")
        .status(405)
        .json({ error: plan ? "a plan is asked for with POST" : "the dashboard API is read-only" });
      return;
    }
    if (o.token || login) {
      const header = req.get("authorization");
      const bearer = header?.startsWith("Bearer ") ? header.slice(7) : undefined;
      // EventSource cannot set headers: the stream alone also takes the token as a query parameter.
      const query =
        req.path === "/events" && typeof req.query.token === "string" ? req.query.token : undefined;
      const tokenOk = o.token !== undefined && sameToken(bearer ?? query, o.token);
      const session = tokenOk ? undefined : login?.user(req);
      if (!tokenOk && !session) {
        res
          .set("WWW-Authenticate", 'Bearer realm="topo-dashboard"')
          .status(401)
          .json({ error: "unauthorized", ...(login ? { login: LOGIN_PATH } : {}) });
        return;
      }
      // A stream opened with a session ends with it (checked at each keep-alive); a token does not expire.
      res.locals.session = session !== undefined;
    }
    next();
  });
  const wrap =
    (fn: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response, next: NextFunction) =>
      fn(req, res).catch(next);

  api.get(
    "/topologies",
    wrap(async (_req, res) => void res.json(await o.source.list())),
  );
  api.get(
    "/topologies/:namespace/:name",
    wrap(async (req, res) => {
      const t = await o.source.get(String(req.params.namespace), String(req.params.name));
      if (!t) res.status(404).json({ error: "no such topology" });
      // ?view=grouped: as the page draws it, large groups as one shape (groups.ts), `open` ones opened.
      else if (req.query.view === "grouped") {
        const open = typeof req.query.open === "string" ? req.query.open.split(",") : [];
        res.json(groupedDetail(t, new Set(open)));
      } else res.json(t);
    }),
  );
  api.get(
    "/topologies/:namespace/:name/events",
    wrap(async (req, res) => {
      const ns = String(req.params.namespace);
      const name = String(req.params.name);
      if (!(await o.source.get(ns, name))) res.status(404).json({ error: "no such topology" });
      else res.json(await o.source.events(ns, name));
    }),
  );

  mountHistoryApi(api, o.history);

  api.post(
    "/topologies/:namespace/:name/plan",
    express.text({ type: () => true, limit: "1mb" }),
    wrap(async (req, res) => {
      const type = (req.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (!PLAN_TYPES.includes(type)) {
        res.status(415).json({ error: `send the Topology as ${PLAN_TYPES.join(" or ")}` });
        return;
      }
      if (!o.plan) {
        res.status(501).json({ error: "this dashboard's source cannot plan" });
        return;
      }
      const ns = String(req.params.namespace);
      const name = String(req.params.name);
      const request = readPlanRequest(typeof req.body === "string" ? req.body : "", ns, name);
      if (!request.ok) {
        res.status(request.status).json({ error: request.error, issues: request.issues });
        return;
      }
      try {
        res.json(planResponse(await o.plan(ns, name, request.topology), request));
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        res.status(422).json({ error: err.message, issues: [] });
      }
    }),
  );

  const streams = new Set<Response>();
  const send = (res: Response, event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const pusher = debounceKeys((changed) => {
    void o.source
      .list()
      .then((all) => {
        const keys = new Set(changed);
        const topologies = all.filter((t) => keys.has(`${t.namespace}/${t.name}`));
        const msg: ChangeMessage = { at: new Date().toISOString(), changed, topologies, partial: true };
        for (const res of streams) send(res, "change", msg);
      })
      .catch((err: unknown) => o.log?.warn({ err: String(err) }, "dashboard: listing topologies failed"));
  }, o.debounceMs ?? 200);
  const unsubscribe = o.source.subscribe((key) => pusher.add(key));

  api.get(
    "/events",
    wrap(async (req, res) => {
      res.status(200).set({
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      });
      res.flushHeaders();
      res.write("retry: 1000\n\n");
      streams.add(res);
      const ping = setInterval(() => {
        if (res.locals.session && !login?.user(req)) res.end();
        else res.write(": keep-alive\n\n");
      }, o.keepAliveMs ?? 15_000);
      res.on("close", () => {
        clearInterval(ping);
        streams.delete(res);
      });
      const msg: ChangeMessage = {
        at: new Date().toISOString(),
        changed: [],
        topologies: await o.source.list(),
      };
      send(res, "topologies", msg);
    }),
  );
  api.use((_req: Request, res: Response) => void res.status(404).json({ error: "not found" }));
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if ((err as { status?: number }).status === 413) {
      res.status(413).json({ error: "the document is larger than 1 MiB" });
      return;
    }
    o.log?.warn({ err: String(err) }, "dashboard API error");
    if (!res.headersSent) res.status(502).json({ error: "the data source failed" });
  });
  app.use("/api", api);

  // With OIDC, the pages too are for signed-in people: a browser is sent to sign in and brought back.
  if (login)
    app.use((req, res, next) => {
      if (login.user(req)) return next();
      if (req.method === "GET" || req.method === "HEAD")
        res.set("Cache-Control", "no-store").redirect(303, login.loginUrl(req.originalUrl));
      else res.status(401).json({ error: "unauthorized", login: LOGIN_PATH });
    });

  // The front end is looked for on every request until it is found, so one built while the server runs
  // (npm start builds it; a developer may rebuild) is served without a restart.
  let web: { assets: RequestHandler; files: RequestHandler } | undefined;
  const builtWeb = () => {
    if (web) return web;
    const dir = o.staticDir ?? webRoot();
    if (!dir || !existsSync(join(dir, "index.html"))) return undefined;
    web = {
      assets: express.static(join(dir, "assets"), {
        immutable: true,
        maxAge: "1y",
        index: false,
        fallthrough: false,
      }),
      files: express.static(dir, { index: "index.html", maxAge: 0 }),
    };
    return web;
  };
  app.use("/assets", (req, res, next) => {
    const w = builtWeb();
    if (w) w.assets(req, res, next);
    else next();
  });
  app.use((req, res, next) => {
    const w = builtWeb();
    if (w) w.files(req, res, next);
    else if (req.path === "/" && (req.method === "GET" || req.method === "HEAD"))
      res
        .status(503)
        .set("Cache-Control", "no-store")
        .type("text/plain")
        .send("The dashboard front end is not built: run `npm run build:web`, then reload this page.\n");
    else next();
  });

  return {
    app,
    close() {
      pusher.cancel();
      unsubscribe();
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

/** Listens on host:port; closing ends the event streams first so the server can actually close. */
export async function serveDashboard(
  o: DashboardOptions & { port: number; host?: string },
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const d = createDashboard(o);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = d.app.listen(o.port, o.host ?? "0.0.0.0", (err?: Error) => (err ? reject(err) : resolve(s)));
    s.on("error", reject);
  });
  return {
    server,
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        d.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
