// The largest graph the API accepts, a full mesh of 250 nodes (62,250 connectsTo edges), drawn by the real
// server and front end in Chromium over an in-memory source: every node and every edge is there. How long
// it takes is measured by `npm run bench:dashboard`, not here.
import type { Browser } from "playwright-core";
import { serveDashboard } from "../../../operator/src/dashboard/server.ts";
import { cspViolations, drawn, ensureWebBuilt, launch, openPage, screenshot } from "./browser.ts";
import { explicitMesh, MEMORY_NAMESPACE, memorySource } from "./memory-source.ts";

const N = 250;

describe("dashboard with a 250-node mesh", () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDashboard>>;
  beforeAll(async () => {
    ensureWebBuilt();
    server = await serveDashboard({
      source: memorySource([explicitMesh("mesh250", N)]),
      port: 0,
      host: "127.0.0.1",
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("draws every node and every edge, phases by shape, and the node list beside it", async () => {
    const page = await openPage(browser);
    await page.goto(`http://127.0.0.1:${server.port}/#/${MEMORY_NAMESPACE}/mesh250`);
    await page.waitForFunction(
      () =>
        (window as unknown as { __topo: { firstRenderMs(): number | undefined } }).__topo.firstRenderMs() !==
        undefined,
      undefined,
      { timeout: 120_000 },
    );
    const g = await drawn(page);
    expect(g.nodes).toHaveLength(N);
    expect(g.edges).toHaveLength(N * (N - 1));
    expect(new Set(g.edges.map((e) => `${e.source}>${e.target}`)).size).toBe(N * (N - 1));
    // Every 25th node is Progressing in the fixture: a diamond, not only another color.
    expect(g.nodes.filter((n) => n.phase === "Progressing").map((n) => n.shape)).toEqual(
      Array(N / 25).fill("diamond"),
    );
    await expect(page.getByRole("option").count()).resolves.toBe(N);
    await page.getByRole("option", { name: /^conn-0:/ }).click();
    await page.getByRole("complementary", { name: "Node details" }).getByText("249 nodes").waitFor();
    expect(await cspViolations(page)).toEqual([]);
    await screenshot(page, "mesh250");
  });
});
