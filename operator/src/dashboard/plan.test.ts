import { UserError } from "../errors.ts";
import type { Topology } from "../api/topology.ts";
import type { Plan } from "../plan/plan.ts";
import { serveDashboard } from "./server.ts";
import type { DashboardSource } from "./source.ts";
import type { PlanResponse } from "./types.ts";

const source: DashboardSource = {
  list: async () => [],
  get: async () => undefined,
  events: async () => [],
  subscribe: () => () => {},
};

const DOC = [
  "apiVersion: topo.dev/v1alpha1",
  "kind: Topology",
  "metadata: { name: shop }",
  "spec:",
  "  nodes:",
  "    - name: web",
  "      image: web:1",
  "      ports: [{ name: http, port: 80, hostPort: 8080 }]",
  "",
].join("\n");

/** A plan of its own: the server's job is to read the request and answer, not to plan. */
const planOf = (t: Topology): Plan => ({
  target: "kube",
  topology: t.name,
  scope: "demo",
  exists: true,
  nodes: t.nodes.map((n) => ({ name: n.name, verdict: "restart", objects: [] })),
  shared: [],
  revision: { current: 1, next: 2, new: true },
  startOrder: [["web"]],
  notes: [],
  changed: true,
});

async function withDashboard(
  opts: { token?: string; plan?: (ns: string, name: string, t: Topology) => Promise<Plan> },
  fn: (url: string) => Promise<void>,
) {
  const d = await serveDashboard({ source, port: 0, host: "127.0.0.1", ...opts });
  try {
    await fn(`http://127.0.0.1:${d.port}/api/topologies/demo/shop/plan`);
  } finally {
    await d.close();
  }
}
const post = (url: string, body: string, type = "application/yaml", headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", body, headers: { "content-type": type, ...headers } });

describe("POST /api/topologies/:namespace/:name/plan", () => {
  it("plans the document it is sent and locates what the target does not carry in it", async () => {
    const calls: [string, string, string][] = [];
    const plan = async (ns: string, name: string, t: Topology) => {
      calls.push([ns, name, t.nodes[0]!.image]);
      return planOf(t);
    };
    await withDashboard({ plan }, async (url) => {
      const res = await post(url, DOC);
      expect(res.status).toBe(200);
      const body = (await res.json()) as PlanResponse;
      expect(calls).toEqual([["demo", "shop", "web:1"]]);
      expect(body.plan.nodes).toEqual([{ name: "web", verdict: "restart", objects: [] }]);
      expect(body.portability).toContainEqual(
        expect.objectContaining({ node: "web", field: "ports[0].hostPort", line: 8, carry: "none" }),
      );
      // JSON is YAML too.
      const json = await post(
        url,
        JSON.stringify({
          apiVersion: "topo.dev/v1alpha1",
          kind: "Topology",
          metadata: { name: "shop" },
          spec: { nodes: [{ name: "web", image: "web:2" }] },
        }),
        "application/json",
      );
      expect(json.status).toBe(200);
      expect(calls.at(-1)).toEqual(["demo", "shop", "web:2"]);
    });
  });

  it("answers an invalid document with its errors by line, another topology with 400, a form's body with 415", async () => {
    await withDashboard({ plan: async (_n, _m, t) => planOf(t) }, async (url) => {
      const bad = await post(url, DOC.replace("image: web:1", "imagee: web:1"));
      expect(bad.status).toBe(422);
      expect(((await bad.json()) as { issues: unknown[] }).issues).toContainEqual(
        expect.objectContaining({ line: 7, path: "spec.nodes[0].imagee" }),
      );
      expect((await post(url, DOC.replace("name: shop", "name: other"))).status).toBe(400);
      expect((await post(url, DOC, "text/plain")).status).toBe(415);
      expect((await post(url, DOC, "application/x-www-form-urlencoded")).status).toBe(415);
    });
  });

  it("takes POST there only, keeps every other path read-only, and holds the token rule", async () => {
    await withDashboard({ token: "s3cret", plan: async (_n, _m, t) => planOf(t) }, async (url) => {
      expect((await post(url, DOC)).status).toBe(401);
      expect((await post(url, DOC, "application/yaml", { authorization: "Bearer wrong" })).status).toBe(401);
      expect((await post(url, DOC, "application/yaml", { authorization: "Bearer s3cret" })).status).toBe(200);
      const get = await fetch(url, { headers: { authorization: "Bearer s3cret" } });
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      const elsewhere = await post(url.replace(/\/plan$/, ""), DOC, "application/yaml", {
        authorization: "Bearer s3cret",
      });
      expect(elsewhere.status).toBe(405);
    });
  });

  it("says when its source cannot plan, and passes a planner's refusal on", async () => {
    await withDashboard({}, async (url) => expect((await post(url, DOC)).status).toBe(501));
    const refuse = async (): Promise<Plan> => {
      throw new UserError("applying Deployment/shop-web would fail: 422 nope");
    };
    await withDashboard({ plan: refuse }, async (url) => {
      const res = await post(url, DOC);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: string }).error).toMatch(/would fail/);
    });
  });
});
