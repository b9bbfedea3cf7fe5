import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveDashboard } from "./server.ts";
import type { DashboardSource } from "./source.ts";

const empty: DashboardSource = {
  list: async () => [],
  get: async () => undefined,
  events: async () => [],
  subscribe: () => () => {},
};

describe("the dashboard's front end", () => {
  const dir = mkdtempSync(join(tmpdir(), "topo-web-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is served once it is built, without a restart; until then the page says how to build it", async () => {
    const d = await serveDashboard({ source: empty, port: 0, host: "127.0.0.1", staticDir: dir });
    try {
      const url = `http://127.0.0.1:${d.port}`;
      const before = await fetch(`${url}/`);
      expect(before.status).toBe(503);
      expect(await before.text()).toMatch(/front end is not built: run `npm run build:web`/);

      mkdirSync(join(dir, "assets"));
      writeFileSync(join(dir, "index.html"), '<!doctype html><script src="/assets/app-1.js"></script>\n');
      writeFileSync(join(dir, "assets", "app-1.js"), "console.log(1);\n");
      const after = await fetch(`${url}/`);
      expect(after.status).toBe(200);
      expect(await after.text()).toContain("/assets/app-1.js");
      const asset = await fetch(`${url}/assets/app-1.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("cache-control")).toContain("immutable");
      expect((await fetch(`${url}/api/topologies`)).status).toBe(200);
    } finally {
      await d.close();
    }
  });
});
