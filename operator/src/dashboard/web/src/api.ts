// The dashboard API client: a bearer token kept in sessionStorage (taken once from ?token=), JSON GETs,
// and the SSE stream (EventSource cannot send headers, so the stream takes the token as a query parameter).
import type {
  ChangeMessage,
  DashboardEvent,
  PlanIssue,
  PlanResponse,
  TopologyDetail,
  TopologySummary,
} from "../../types.ts";

const KEY = "topo.dashboard.token";

export class Unauthorized extends Error {}

/** A 401. With OIDC on, the answer names the sign-in page: the browser goes there, to come back here. */
async function unauthorized(res: Response): Promise<Unauthorized> {
  const body = (await res.json().catch(() => ({}))) as { login?: string };
  if (body.login)
    location.assign(
      `${body.login}?return=${encodeURIComponent(location.pathname + location.search + location.hash)}`,
    );
  return new Unauthorized("unauthorized");
}

/** Moves a `?token=` from the address bar into sessionStorage, so it is not left in history or logs. */
export function adoptTokenFromUrl(): void {
  const url = new URL(location.href);
  const t = url.searchParams.get("token");
  if (t === null) return;
  sessionStorage.setItem(KEY, t);
  url.searchParams.delete("token");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

const token = () => sessionStorage.getItem(KEY) ?? "";

async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, {
    headers: { accept: "application/json", ...(token() ? { authorization: `Bearer ${token()}` } : {}) },
    cache: "no-store",
  });
  if (res.status === 401) throw await unauthorized(res);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** A plan the server refused: its message and, for an invalid document, the errors by line. */
export class PlanRefused extends Error {
  readonly issues: PlanIssue[];
  constructor(message: string, issues: PlanIssue[]) {
    super(message);
    this.issues = issues;
  }
}

async function postPlan(path: string, document: string): Promise<PlanResponse> {
  const res = await fetch(path, {
    method: "POST",
    body: document,
    headers: {
      accept: "application/json",
      "content-type": "application/yaml",
      ...(token() ? { authorization: `Bearer ${token()}` } : {}),
    },
    cache: "no-store",
  });
  if (res.status === 401) throw await unauthorized(res);
  const body = (await res.json().catch(() => ({}))) as { error?: string; issues?: PlanIssue[] };
  if (!res.ok) throw new PlanRefused(body.error ?? `HTTP ${res.status}`, body.issues ?? []);
  return body as unknown as PlanResponse;
}

const seg = encodeURIComponent;
export const api = {
  list: () => get<TopologySummary[]>("/api/topologies"),
  /** As the page draws it: large groups as one shape each, but those in `open` (groups.ts). */
  grouped: (ns: string, name: string, open: readonly string[]) =>
    get<TopologyDetail>(
      `/api/topologies/${seg(ns)}/${seg(name)}?view=grouped${open.length ? `&open=${open.map(seg).join(",")}` : ""}`,
    ),
  events: (ns: string, name: string) =>
    get<DashboardEvent[]>(`/api/topologies/${seg(ns)}/${seg(name)}/events`),
  timeline: (ns: string, name: string, since: string, node?: string) =>
    get<import("./timeline.ts").Timeline>(
      `/api/topologies/${seg(ns)}/${seg(name)}/timeline?since=${seg(since)}${node ? `&node=${seg(node)}` : ""}`,
    ),
  recoveries: (ns: string, name: string, since: string) =>
    get<import("./timeline.ts").Recoveries>(
      `/api/recoveries?namespace=${seg(ns)}&topology=${seg(name)}&since=${seg(since)}`,
    ),
  plan: (ns: string, name: string, document: string) =>
    postPlan(`/api/topologies/${seg(ns)}/${seg(name)}/plan`, document),
};

export type LiveState = "connecting" | "live" | "down";

/**
 * Follows /api/events. EventSource reconnects by itself after a dropped connection (the server sends
 * `retry: 1000`); if the browser gives up (CLOSED, e.g. the server answered 401 or 502), start over.
 */
export function follow(onMessage: (m: ChangeMessage) => void, onState: (s: LiveState) => void): void {
  let es: EventSource | undefined;
  const open = () => {
    const t = token();
    es = new EventSource(`/api/events${t ? `?token=${seg(t)}` : ""}`);
    onState("connecting");
    const handle = (e: MessageEvent<string>) => {
      onState("live");
      onMessage(JSON.parse(e.data) as ChangeMessage);
    };
    es.addEventListener("topologies", handle);
    es.addEventListener("change", handle);
    es.addEventListener("open", () => onState("live"));
    es.addEventListener("error", () => {
      onState("down");
      if (es?.readyState !== EventSource.CLOSED) return;
      // Refused (a session that ended closes the stream): one GET finds out, and sends the browser to sign in.
      void get("/api/topologies").catch(() => undefined);
      setTimeout(open, 2000);
    });
  };
  open();
}
