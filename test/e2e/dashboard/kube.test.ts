// The dashboard inside the operator, against the local control plane: the overview with the examples,
// every shape drawn node for node and edge for edge, a status change pushed live, and `topo dashboard`
// with a token.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { parse } from "yaml";
import {
  applyTopology,
  createNamespace,
  freePort,
  readTopology,
  ROOT,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "../operator/harness.ts";
import type { TopologyDetail, TopologySummary } from "../../../operator/src/dashboard/types.ts";
import {
  cspViolations,
  drawn,
  ensureWebBuilt,
  launch,
  openPage,
  screenshot,
  startDashboardCli,
} from "./browser.ts";

const SHAPES = { linear: 6, ring: 6, star: 7, mesh: 5 } as const;
// The examples as users apply them (web-stack's images are never pulled: kwok only pretends to run pods).
const EXAMPLES = ["connector-lab", "web-stack"] as const;
const example = (name: string) =>
  parse(readFileSync(join(ROOT, "examples", `${name}.yaml`), "utf8")) as { spec: Record<string, unknown> };
const ALL = [...EXAMPLES, ...Object.keys(SHAPES), "web"].sort();
const expectedEdges = (shape: keyof typeof SHAPES, n: number) =>
  ({ linear: n - 1, ring: n, star: n - 1, mesh: n * (n - 1) })[shape];
const shapeSpec = (shape: string, count: number) => ({
  nodes: [],
  generators: [
    { prefix: "n", count, shape, template: { image: "svc:1", ports: [{ name: "http", port: 8080 }] } },
  ],
});
// A pod that asks for more CPU than any node has is never scheduled, so it is never Ready.
const UNSCHEDULABLE = { cpu: "1000", memory: "64Mi" };
const web = (apiImage: string, resources?: object) => ({
  nodes: [
    {
      name: "db",
      image: "db:1",
      ports: [{ name: "pg", port: 5432 }],
      env: [{ name: "POSTGRES_PASSWORD", secretRef: { name: "db-secrets", key: "password" } }],
    },
    {
      name: "api",
      image: apiImage,
      ports: [{ name: "http", port: 8080 }],
      dependsOn: ["db"],
      ...(resources ? { resources } : {}),
    },
    { name: "ui", image: "ui:1", connectsTo: ["api"] },
  ],
  rollout: { progressDeadlineSeconds: 12 },
});

describe("dashboard (Kubernetes source)", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    ensureWebBuilt();
    ns = await createNamespace("topo-dash");
    const port = await freePort();
    op = await startOperator({
      namespace: ns.name,
      env: { TOPO_DASHBOARD_ENABLED: "true", TOPO_DASHBOARD_PORT: String(port), TOPO_LOG_LEVEL: "info" },
    });
    url = `http://127.0.0.1:${port}`;
    for (const [shape, n] of Object.entries(SHAPES))
      await applyTopology(topology(ns.name, shape, shapeSpec(shape, n)));
    await applyTopology(topology(ns.name, "web", web("api:1")));
    for (const name of EXAMPLES) await applyTopology(topology(ns.name, name, example(name).spec));
    // connector-lab starts its 17 connectors only once the store (with a volume to bind) is Ready: on a
    // busy machine that alone can take minutes.
    for (const name of ALL) await waitForPhase(ns.name, name, "Ready", 240_000);
    browser = await launch();
    page = await openPage(browser);
  }, 360_000);
  afterAll(async () => {
    await browser?.close();
    await op?.stop();
    await ns?.remove();
  });

  it("lists the examples and every applied topology with namespace, phase, ready nodes and revision", async () => {
    const res = await fetch(`${url}/api/topologies`);
    expect(res.status).toBe(200);
    const list = (await res.json()) as TopologySummary[];
    expect(list.map((t) => t.name)).toEqual(ALL);
    expect(list.find((t) => t.name === "star")).toMatchObject({
      namespace: ns.name,
      phase: "Ready",
      readyNodes: 7,
      totalNodes: 7,
      revision: 1,
    });
    expect(list.find((t) => t.name === "connector-lab")).toMatchObject({ readyNodes: 19, totalNodes: 19 });
    await page.goto(url);
    for (const name of ALL)
      await page
        .getByRole("button", { name: new RegExp(`^${name} in ${ns.name}: Ready, \\d+ of \\d+ nodes ready`) })
        .waitFor();
    const row = page.locator(`#overview tr[data-key="${ns.name}/star"]`);
    await expect(row.locator("td").allInnerTexts()).resolves.toEqual([
      "star",
      ns.name,
      expect.stringContaining("Ready"),
      "7/7",
      "1",
      "–",
    ]);
    // No token is needed here, so the page does not ask for one.
    expect(await page.locator("#token-form").isVisible()).toBe(false);
    // Keyboard: arrows move between topologies, Enter opens one.
    await page.locator("#overview button").first().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await waitFor(
      "the third topology selected",
      async () => (await page.evaluate(() => location.hash)) === `#/${ns.name}/${ALL[2]}`,
    );
    expect(await cspViolations(page)).toEqual([]);
    const headers = res.headers;
    const html = await fetch(url);
    expect(html.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(html.headers.get("content-security-policy")).not.toMatch(/unsafe-inline/);
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect((await fetch(`${url}/api/topologies`, { method: "POST" })).status).toBe(405);
  });

  it.each(Object.entries(SHAPES))("draws every node and edge of the %s shape", async (shape, n) => {
    const detail = (await (
      await fetch(`${url}/api/topologies/${ns.name}/${shape}`)
    ).json()) as TopologyDetail;
    expect(detail.nodes).toHaveLength(n);
    expect(detail.edges).toHaveLength(expectedEdges(shape as keyof typeof SHAPES, n));
    await page.goto(`${url}/#/${ns.name}/${shape}`);
    const g = await waitFor(`the ${shape} graph`, async () => {
      const d = await drawn(page);
      return d.nodes.length === n &&
        d.edges.length === detail.edges.length &&
        d.nodes.every((x) => x.phase === "Ready")
        ? d
        : undefined;
    });
    expect(g.nodes.map((x) => x.id).sort()).toEqual(detail.nodes.map((x) => x.name).sort());
    expect(g.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(
      detail.edges.map((e) => `${e.from}>${e.to}`).sort(),
    );
    expect(new Set(g.nodes.map((x) => x.shape))).toEqual(new Set(["ellipse"]));
    // The node list mirrors the graph with the phase in words.
    await expect(page.getByRole("option").count()).resolves.toBe(n);
    await page.getByRole("option").first().click();
    await page
      .getByRole("complementary", { name: "Node details" })
      .getByText("1 ready / 1 desired")
      .waitFor();
    await page.waitForTimeout(300);
    await screenshot(page, shape);
    expect(await cspViolations(page)).toEqual([]);
  });

  it("draws every node and edge of examples/connector-lab: four shapes, each depending on a store", async () => {
    const detail = (await (
      await fetch(`${url}/api/topologies/${ns.name}/connector-lab`)
    ).json()) as TopologyDetail;
    // 4 + 4 + 5 + 4 connectors and store and dashboard; connectsTo 3 + 4 + 4 + 12 + 4, dependsOn 17.
    expect(detail.nodes).toHaveLength(19);
    expect(detail.edges.filter((e) => e.kind === "connectsTo")).toHaveLength(27);
    expect(detail.edges.filter((e) => e.kind === "dependsOn")).toHaveLength(17);
    await page.goto(`${url}/#/${ns.name}/connector-lab`);
    const g = await waitFor("the connector-lab graph", async () => {
      const d = await drawn(page);
      return d.nodes.length === 19 && d.nodes.every((x) => x.phase === "Ready") ? d : undefined;
    });
    expect(g.edges.map((e) => `${e.source}>${e.target}:${e.kind}`).sort()).toEqual(
      detail.edges.map((e) => `${e.from}>${e.to}:${e.kind}`).sort(),
    );
    for (const e of g.edges)
      expect([e.kind, e.lineStyle]).toEqual([e.kind, e.kind === "dependsOn" ? "dashed" : "solid"]);
    await page.waitForTimeout(300);
    await screenshot(page, "connector-lab");
    expect(await cspViolations(page)).toEqual([]);
  });

  it("draws dependsOn dashed with an arrow, and never sends a secret's value", async () => {
    const detail = (await (await fetch(`${url}/api/topologies/${ns.name}/web`)).json()) as TopologyDetail;
    expect(detail.nodes.find((x) => x.name === "db")!.env).toEqual([
      { name: "POSTGRES_PASSWORD", secretRef: "db-secrets" },
    ]);
    expect(JSON.stringify(detail)).not.toContain('password"');
    await page.goto(`${url}/#/${ns.name}/web/api`);
    const g = await waitFor("the web graph", async () => {
      const d = await drawn(page);
      return d.edges.length === 2 ? d : undefined;
    });
    expect(g.edges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: "api",
          target: "db",
          kind: "dependsOn",
          lineStyle: "dashed",
          arrow: "triangle",
        }),
        expect.objectContaining({ source: "ui", target: "api", kind: "connectsTo", lineStyle: "solid" }),
      ]),
    );
    const panel = page.getByRole("complementary", { name: "Node details" });
    await panel.getByText("api:1", { exact: true }).waitFor();
    await panel.getByText("http 8080/TCP").waitFor();
  });

  it("shows a status change live, without a reload, within a second of the status write", async () => {
    await page.goto(`${url}/#/${ns.name}/web`);
    await waitFor(
      "web drawn Ready",
      async () => (await drawn(page)).nodes.every((x) => x.phase === "Ready") || undefined,
    );
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    await applyTopology(topology(ns.name, "web", web("api:2", UNSCHEDULABLE)));
    // Poll the API server and the page side by side; compare when each first shows RolledBack.
    const seenByApi = waitFor(
      "RolledBack in the API",
      async () =>
        (await readTopology(ns.name, "web")).status?.phase === "RolledBack" ? Date.now() : undefined,
      60_000,
      50,
    );
    const progressing = page.waitForFunction(
      () =>
        (window as unknown as { __topo: { graph(): DrawnGraph } }).__topo
          .graph()
          .nodes.some((n) => n.id === "api" && n.phase === "Progressing"),
      undefined,
      { timeout: 60_000, polling: 50 },
    );
    const seenByPage = page
      .waitForFunction(
        (key) =>
          (window as unknown as { __topo: { phase(k: string): string } }).__topo.phase(key) === "RolledBack",
        `${ns.name}/web`,
        { timeout: 60_000, polling: 50 },
      )
      .then(() => Date.now());
    await progressing;
    const [api, shown] = await Promise.all([seenByApi, seenByPage]);
    expect(shown - api).toBeLessThan(1000);
    await page
      .locator(`#overview tr[data-key="${ns.name}/web"]`)
      .getByText(/^rev 2 at/)
      .waitFor();
    // Rolled back, every node serves again on revision 1: ready, in the overview too.
    await page.getByRole("button", { name: `web in ${ns.name}: RolledBack, 3 of 3 nodes ready` }).waitFor();
    await page.getByRole("table").filter({ hasText: "Outcome" }).getByText("RolledBack").waitFor();
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await screenshot(page, "rollback");
  });

  it("topo dashboard --source kube enforces its token and the page reconnects after a restart", async () => {
    const port = await freePort();
    const env = { TOPO_DASHBOARD_TOKEN: "s3cret-token", TOPO_NAMESPACES: ns.name };
    let cli = await startDashboardCli(["--source", "kube"], port, env);
    try {
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/api/topologies`)).status).toBe(401);
      expect(
        (await fetch(`${base}/api/topologies`, { headers: { authorization: "Bearer wrong" } })).status,
      ).toBe(401);
      expect((await fetch(`${base}/api/events`)).status).toBe(401);
      expect((await fetch(`${base}/api/topologies?token=s3cret-token`)).status).toBe(401);
      const ok = await fetch(`${base}/api/topologies`, { headers: { authorization: "Bearer s3cret-token" } });
      expect(ok.status).toBe(200);
      const stream = new AbortController();
      const sse = await fetch(`${base}/api/events?token=s3cret-token`, { signal: stream.signal });
      expect(sse.headers.get("content-type")).toMatch(/text\/event-stream/);
      stream.abort();

      const p = await openPage(browser);
      await p.goto(`${base}/?token=s3cret-token#/${ns.name}/star`);
      await p.getByRole("button", { name: /^star in / }).waitFor();
      expect(await p.evaluate(() => location.search)).toBe("");
      expect(await p.evaluate(() => sessionStorage.getItem("topo.dashboard.token"))).toBe("s3cret-token");
      await p.locator("#live[data-state=live]").waitFor();

      await cli.stop();
      await p.locator("#live[data-state=down]").waitFor();
      cli = await startDashboardCli(["--source", "kube"], port, env);
      await p.locator("#live[data-state=live]").waitFor({ timeout: 30_000 });
      await applyTopology(topology(ns.name, "late", shapeSpec("linear", 2)));
      await p.getByRole("button", { name: /^late in / }).waitFor({ timeout: 30_000 });
      expect(await cspViolations(p)).toEqual([]);
      await p.close();
    } finally {
      await cli.stop();
    }
  });
});

interface DrawnGraph {
  nodes: { id: string; phase: string }[];
}
