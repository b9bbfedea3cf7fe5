// The largest graph the API accepts, a full mesh of 250 nodes (62,250 connectsTo edges), drawn by the real
// server and front end in Chromium over an in-memory source: first as one group (groups.ts), its count and
// health, with its not-Ready nodes beside it, from a grouped answer of the server (?view=grouped), not
// the 62,250 edges; tapped open, its 250 nodes on one disc that stands for its edges, a selected node's
// own 249 drawn. A 40-node generated mesh is tapped open (every node and edge), closed, and opened again
// by choosing a member in the node list. How long drawing takes is measured by `npm run bench:dashboard`.
import type { Browser, Page } from "playwright-core";
import { serveDashboard } from "../../../operator/src/dashboard/server.ts";
import { cspViolations, ensureWebBuilt, launch, openPage, screenshot } from "./browser.ts";
import { explicitMesh, generatedTopology, MEMORY_NAMESPACE, memorySource } from "./memory-source.ts";

const N = 250;
type Drawn = {
  nodes: { id: string; phase: string; shape: string; label?: string; at?: { x: number; y: number } }[];
  edges: { source: string; target: string }[];
};
type Hook = { __topo: { graph(): Drawn; firstRenderMs(): number | undefined } };
const drawn = (page: Page) => page.evaluate(() => (window as unknown as Hook).__topo.graph());
const nodesDrawn = (page: Page, n: number) =>
  page.waitForFunction((k) => (window as unknown as Hook).__topo.graph().nodes.length === k, n, {
    timeout: 120_000,
  });

describe("dashboard with a 250-node mesh", () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDashboard>>;
  beforeAll(async () => {
    ensureWebBuilt();
    server = await serveDashboard({
      source: memorySource([explicitMesh("mesh250", N), generatedTopology("mesh40", "mesh", 40)]),
      port: 0,
      host: "127.0.0.1",
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(name: string): Promise<Page> {
    const page = await openPage(browser);
    await page.goto(`http://127.0.0.1:${server.port}/#/${MEMORY_NAMESPACE}/${name}`);
    await page.waitForFunction(
      () => (window as unknown as Hook).__topo.firstRenderMs() !== undefined,
      undefined,
      {
        timeout: 120_000,
      },
    );
    return page;
  }

  it("draws the 250-node mesh as one group with its count and health, its ten not-Ready nodes beside it", async () => {
    const page = await open("mesh250");
    const g = await drawn(page);
    const group = g.nodes.find((n) => n.phase === "Group")!;
    expect(group.label).toContain("(mesh ×250)");
    expect(group.label).toContain("250 nodes: 240 Ready, 10 Progressing");
    // Every 25th node is Progressing in the fixture: drawn on its own, a diamond, not only another color.
    const alone = g.nodes.filter((n) => n.phase !== "Group");
    expect(alone.map((n) => n.id)).toEqual(Array.from({ length: N / 25 }, (_, i) => `conn-${i * 25}`));
    expect(alone.map((n) => n.shape)).toEqual(Array(N / 25).fill("diamond"));
    // Each of the ten to and from the group, and to each other: 20 + 90 edges, not 62,250.
    expect(g.edges).toHaveLength(20 + 10 * 9);
    expect(g.edges.filter((e) => e.source === group.id || e.target === group.id)).toHaveLength(20);
    // The node list still has every node.
    await expect(page.getByRole("option").count()).resolves.toBe(N);
    // What the page was sent: the group and its 110 edges, every node, not the 62,250 edges (4 MB).
    const sent = await page.evaluate(async (url) => {
      const d = (await (await fetch(url)).json()) as {
        edges: unknown[];
        edgeCount: number;
        nodes: unknown[];
      };
      return {
        edges: d.edges.length,
        edgeCount: d.edgeCount,
        nodes: d.nodes.length,
        bytes: JSON.stringify(d).length,
      };
    }, `/api/topologies/${MEMORY_NAMESPACE}/mesh250?view=grouped`);
    expect(sent).toMatchObject({ edges: 110, edgeCount: N * (N - 1), nodes: N });
    expect(sent.bytes).toBeLessThan(100_000);
    expect(await cspViolations(page)).toEqual([]);
    await screenshot(page, "mesh250");
  });

  it("opens the 250-node mesh on a tap into its nodes on one disc for its edges; a selected node draws its own", async () => {
    const page = await open("mesh250");
    const group = (await drawn(page)).nodes.find((n) => n.phase === "Group")!;
    const box = (await page.locator("#graph").boundingBox())!;
    await page.mouse.click(box.x + group.at!.x, box.y + group.at!.y);
    await nodesDrawn(page, N + 1);
    const g = await drawn(page);
    const hull = g.nodes.find((n) => n.phase === "Mesh")!;
    expect(hull.id).toBe(group.id);
    expect(g.nodes.filter((n) => n.phase === "Ready")).toHaveLength(N - N / 25);
    expect(g.edges).toEqual([]);
    await page.getByRole("button", { name: "Collapse groups" }).waitFor();
    await screenshot(page, "mesh250-open");
    await page.getByRole("option", { name: /^conn-7:/ }).click();
    await page.waitForFunction(
      () => (window as unknown as Hook).__topo.graph().edges.length === 2 * 249,
      undefined,
      { timeout: 60_000 },
    );
    const spokes = (await drawn(page)).edges.filter((e) => e.source === "conn-7");
    expect(spokes.map((e) => e.target).sort()).toEqual(
      Array.from({ length: N }, (_, i) => `conn-${i}`)
        .filter((n) => n !== "conn-7")
        .sort(),
    );
    await page
      .getByRole("complementary", { name: "Node details" })
      .getByText("249 nodes (249 in its group)")
      .waitFor();
    expect(await cspViolations(page)).toEqual([]);
  });

  it("opens a group on a tap, closes it, and opens it for a member chosen in the node list", async () => {
    const page = await open("mesh40");
    const collapsed = await drawn(page);
    expect(collapsed.nodes.map((n) => n.id).sort()).toEqual(["conn-0", "conn-25", "group:conn"]);
    const group = collapsed.nodes.find((n) => n.id === "group:conn")!;
    expect(group.label).toContain("40 nodes: 38 Ready, 2 Progressing");
    const box = (await page.locator("#graph").boundingBox())!;
    await page.mouse.click(box.x + group.at!.x, box.y + group.at!.y);
    await nodesDrawn(page, 40);
    const g = await drawn(page);
    expect(g.edges).toHaveLength(40 * 39);
    expect(new Set(g.edges.map((e) => `${e.source}>${e.target}`)).size).toBe(40 * 39);
    await page.getByRole("button", { name: "Collapse groups" }).click();
    await nodesDrawn(page, 3);
    await page.getByRole("option", { name: /^conn-7:/ }).click();
    await nodesDrawn(page, 40);
    await page.getByRole("complementary", { name: "Node details" }).getByText("39 nodes").waitFor();
    expect(await cspViolations(page)).toEqual([]);
  });
});
