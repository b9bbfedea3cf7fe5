// The dashboard over time, in Chromium, from the operator's own history store (SQLite) on the local
// control plane: the revisions as bands, the nodes' phases, the rollback with its recovery time, the
// recovery chart against the 2-minute objective, availability per node, the node filter, and a new
// revision drawn live, without a reload.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

const DEADLINE = 10;
const web = (image: string, resources?: object) => ({
  nodes: [
    { name: "db", image: "db:1" },
    { name: "api", image, dependsOn: ["db"], ...(resources ? { resources } : {}) },
    { name: "web", image: "web:1", dependsOn: ["api"] },
  ],
  // Only the revision meant to fail has the short deadline: a loaded machine may miss it for the others.
  rollout: { progressDeadlineSeconds: resources ? DEADLINE : 300 },
});

interface Drawn {
  revisions: { revision: number; outcome: string }[];
  phases: { node: string; phase: string }[];
  rollbacks: string[];
  bars: { seconds: number; within: string }[];
  objective: boolean;
  availability: Record<string, number>;
  /** The range drawn, as the API's query. */
  range: string;
}
const drawnTimeline = (page: Page) =>
  page.evaluate((): Drawn => {
    const all = (sel: string) => Array.from(document.querySelectorAll<SVGElement | HTMLElement>(sel));
    return {
      revisions: all("#timeline-svg .tl-revision").map((g) => ({
        revision: Number(g.dataset.revision),
        outcome: g.dataset.outcome!,
      })),
      phases: all("#timeline-svg .tl-phase").map((r) => ({ node: r.dataset.node!, phase: r.dataset.phase! })),
      rollbacks: all("#timeline-svg .tl-rollback").map((g) => g.dataset.recovery!),
      bars: all("#recovery-svg .rc-bar").map((g) => ({
        seconds: Number(g.dataset.seconds),
        within: g.dataset.within!,
      })),
      objective: document.querySelector("#recovery-svg .rc-objective") !== null,
      range: (() => {
        const s = document.querySelector<HTMLElement>("#over-time")!.dataset;
        return `since=${encodeURIComponent(s.since ?? "")}&until=${encodeURIComponent(s.until ?? "")}`;
      })(),
      availability: Object.fromEntries(
        all("#availability li").map((li) => [li.dataset.node!, Number(li.dataset.availability)]),
      ),
    };
  });

describe("dashboard: the timeline and the recovery chart", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  let browser: Browser;
  let page: Page;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), "topo-dash-history-"));

  beforeAll(async () => {
    ensureWebBuilt();
    ns = await createNamespace("topo-dhist");
    const port = await freePort();
    op = await startOperator({
      namespace: ns.name,
      env: {
        TOPO_DASHBOARD_ENABLED: "true",
        TOPO_DASHBOARD_PORT: String(port),
        TOPO_LOG_LEVEL: "info",
        TOPO_HISTORY_URL: `sqlite:${join(dir, "history.db")}`,
      },
    });
    url = `http://127.0.0.1:${port}`;
    browser = await launch();
    page = await openPage(browser);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await op?.stop();
    await ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws revisions, phases, the rollback with its recovery, and the recovery chart against the objective", async () => {
    await applyTopology(topology(ns.name, "web", web("api:1")));
    await waitForPhase(ns.name, "web", "Ready");
    await applyTopology(topology(ns.name, "web", web("api:2", { cpu: "1000", memory: "64Mi" })));
    await waitForPhase(ns.name, "web", "RolledBack", (DEADLINE + 40) * 1000);
    const recovery = await waitFor("the recovery measured", async () => {
      const t = await readTopology(ns.name, "web");
      return (t.status!.history as { revision: number; recoverySeconds?: number }[]).find(
        (h) => h.revision === 2,
      )?.recoverySeconds;
    });
    await page.goto(`${url}/#/${ns.name}/web`);
    await page.selectOption("#tl-range", "1h");
    const d = await waitFor("the timeline drawn with the recovery", async () => {
      const d = await drawnTimeline(page);
      return d.bars.length === 1 && d.revisions.length === 2 ? d : undefined;
    });
    expect(d.revisions).toEqual([
      { revision: 1, outcome: "Succeeded" },
      { revision: 2, outcome: "RolledBack" },
    ]);
    expect(d.rollbacks).toEqual([String(recovery)]);
    expect(d.bars).toEqual([{ seconds: recovery, within: String(recovery <= 120) }]);
    expect(d.objective).toBe(true);
    expect(new Set(d.phases.map((p) => p.node))).toEqual(new Set(["api", "db", "web"]));
    // Availability as the API computes it over the range the page drew (RolledBack counts: Ready on
    // revision 1), api below db: it was not Ready a while.
    const api = (await (await fetch(`${url}/api/topologies/${ns.name}/web/timeline?${d.range}`)).json()) as {
      availability: Record<string, number>;
    };
    expect(d.availability).toEqual(api.availability);
    expect(Object.keys(d.availability).sort()).toEqual(["api", "db", "web"]);
    expect(d.availability.api!).toBeLessThan(d.availability.db!);
    await page.locator("#over-time").evaluate((e) => e.scrollIntoView({ block: "start" }));
    await screenshot(page, "timeline");
    expect(await cspViolations(page)).toEqual([]);
  });

  it("filters by node, and draws a new revision live", async () => {
    await page.selectOption("#tl-node", "api");
    const filtered = await waitFor("only api drawn", async () => {
      const d = await drawnTimeline(page);
      return d.phases.length > 0 && d.phases.every((p) => p.node === "api") ? d : undefined;
    });
    expect(Object.keys(filtered.availability)).toEqual(["api"]);
    await page.selectOption("#tl-node", "");
    await applyTopology(topology(ns.name, "web", web("api:3")));
    const live = await waitFor(
      "revision 3 drawn without a reload",
      async () => {
        const d = await drawnTimeline(page);
        return d.revisions.some((r) => r.revision === 3 && r.outcome === "Succeeded") ? d : undefined;
      },
      90_000,
    );
    expect(live.revisions.map((r) => r.revision)).toEqual([1, 2, 3]);
    expect(await cspViolations(page)).toEqual([]);
  });
});
