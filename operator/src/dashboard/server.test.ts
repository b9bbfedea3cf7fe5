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

describe("the dashboard's event stream", () => {
  it("sends every topology on connect, then only what changed (a key without a summary was deleted)", async () => {
    const row = (name: string, phase: string) =>
      ({ namespace: "ns", name, phase, readyNodes: 1, nodes: 1, revision: 1 }) as never;
    let list = [row("a", "Ready"), row("b", "Ready"), row("c", "Ready")];
    let notify: (key: string) => void = () => {};
    const source: DashboardSource = {
      list: async () => list,
      get: async () => undefined,
      events: async () => [],
      subscribe: (fn) => ((notify = fn), () => {}),
    };
    const d = await serveDashboard({ source, port: 0, host: "127.0.0.1", debounceMs: 10 });
    const stream = new AbortController();
    try {
      const res = await fetch(`http://127.0.0.1:${d.port}/api/events`, { signal: stream.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const next = async (event: string) => {
        for (;;) {
          const m = new RegExp(`event: ${event}\\ndata: (.*)\\n\\n`).exec(text);
          if (m) {
            text = text.slice(m.index + m[0].length);
            return JSON.parse(m[1]!) as { changed: string[]; topologies: { name: string }[]; partial?: true };
          }
          text += (await reader.read()).value ?? "";
        }
      };
      const first = await next("topologies");
      expect(first.topologies.map((t) => t.name)).toEqual(["a", "b", "c"]);
      expect(first.partial).toBeUndefined();
      list = [row("a", "Ready"), row("b", "Degraded")];
      notify("ns/b");
      notify("ns/c");
      const change = await next("change");
      expect(change).toMatchObject({ changed: ["ns/b", "ns/c"], partial: true });
      expect(change.topologies).toEqual([row("b", "Degraded")]);
    } finally {
      stream.abort();
      await d.close();
    }
  });
});
