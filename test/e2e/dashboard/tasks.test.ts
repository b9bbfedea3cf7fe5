// The dashboard draws a task node in a shape of its own with its outcome, in Chromium, from the operator's
// status on the local control plane: Succeeded once its Job completed, Failed when its Job failed (kwok fails
// the pod: TOPO_KWOK_EXIT_CODE, hack/kwok/stages.yaml).
import type { Browser, Page } from "playwright-core";
import {
  applyTopology,
  createNamespace,
  freePort,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "../operator/harness.ts";
import { cspViolations, ensureWebBuilt, launch, openPage, screenshot } from "./browser.ts";

const shop = (migrateEnv: Record<string, string> = {}) => ({
  nodes: [
    { name: "db", image: "db:1", ports: [{ name: "pg", port: 5432 }] },
    {
      name: "migrate",
      image: "migrate:1",
      task: { retries: 0, timeout: "2m" },
      env: Object.entries(migrateEnv).map(([name, value]) => ({ name, value })),
      dependsOn: ["db"],
    },
    { name: "api", image: "api:1", ports: [{ name: "http", port: 8080 }], dependsOn: ["migrate"] },
  ],
  rollout: { progressDeadlineSeconds: 30, autoRollback: false },
});

interface Drawn {
  nodes: { id: string; phase: string; shape: string; task: boolean }[];
  edges: { source: string; target: string; kind: string }[];
}
const drawn = (page: Page) =>
  page.evaluate(() => (window as unknown as { __topo: { graph(): Drawn } }).__topo.graph());

describe("dashboard: task nodes", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    ensureWebBuilt();
    ns = await createNamespace("topo-dtask");
    const port = await freePort();
    op = await startOperator({
      namespace: ns.name,
      env: { TOPO_DASHBOARD_ENABLED: "true", TOPO_DASHBOARD_PORT: String(port), TOPO_LOG_LEVEL: "info" },
    });
    url = `http://127.0.0.1:${port}`;
    browser = await launch();
    page = await openPage(browser);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await op?.stop();
    await ns?.remove();
  });

  it("draws the task as a rhomboid with its outcome, Succeeded, and the others by their phase", async () => {
    await applyTopology(topology(ns.name, "shop", shop()));
    await waitForPhase(ns.name, "shop", "Ready");
    await page.goto(`${url}/#/${ns.name}/shop`);
    const g = await waitFor("the shop graph drawn", async () => {
      const d = await drawn(page);
      return d.nodes.length === 3 && d.nodes.every((n) => n.phase !== "Pending") ? d : undefined;
    });
    expect(g.nodes.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "api", phase: "Ready", shape: "ellipse", task: false },
      { id: "db", phase: "Ready", shape: "ellipse", task: false },
      { id: "migrate", phase: "Succeeded", shape: "rhomboid", task: true },
    ]);
    expect(g.edges.map((e) => `${e.source}>${e.target}:${e.kind}`).sort()).toEqual([
      "api>migrate:dependsOn",
      "migrate>db:dependsOn",
    ]);
    // The node list and the panel say it in words.
    const item = page.getByRole("option", { name: "migrate: a task, Succeeded" });
    await item.click();
    const panel = page.getByRole("complementary", { name: "Node details" });
    await panel
      .getByText("runs to completion once per revision that changes it; 0 retries, timeout 2m")
      .waitFor();
    await panel.getByText("succeeded", { exact: true }).waitFor(); // its message
    await page.getByText("task (rhomboid, in every phase)").waitFor();
    await screenshot(page, "task");
    expect(await cspViolations(page)).toEqual([]);
  });

  it("draws a task whose Job failed as Failed, in the same shape", async () => {
    await applyTopology(topology(ns.name, "shop", shop({ TOPO_KWOK_EXIT_CODE: "1" })));
    await waitFor(
      "revision 2 failed",
      async () => {
        const t = await readTopology(ns.name, "shop");
        return t.status?.history?.find((h) => h.revision === 2)?.outcome === "Failed" || undefined;
      },
      90_000,
    );
    const g = await waitFor("migrate drawn Failed", async () => {
      const d = await drawn(page);
      return d.nodes.find((n) => n.id === "migrate")?.phase === "Failed" ? d : undefined;
    });
    expect(g.nodes.find((n) => n.id === "migrate")).toEqual({
      id: "migrate",
      phase: "Failed",
      shape: "rhomboid",
      task: true,
    });
    await page.getByRole("option", { name: "migrate: a task, Failed" }).waitFor();
    expect(await cspViolations(page)).toEqual([]);
  });
});
