import type { HistoryRecord } from "../history/record.ts";
import { openStore } from "../history/store.ts";
import { availability, RECOVERY_OBJECTIVE_SECONDS } from "./history.ts";
import { serveDashboard } from "./server.ts";
import type { DashboardSource } from "./source.ts";

const base = { target: "kubernetes", namespace: "shop", topology: "web", uid: "u" } as const;
const phase = (node: string, seq: number, p: string, at: string): HistoryRecord => ({
  ...base,
  kind: "phase",
  key: `${node}#${seq}`,
  node,
  at,
  data: { phase: p, seq },
});
const empty: DashboardSource = {
  list: async () => [],
  get: async () => undefined,
  events: async () => [],
  subscribe: () => () => {},
};

describe("availability", () => {
  it("is the share of the range a node was Ready, from its last change before the range", () => {
    const since = new Date("2026-11-01T10:00:00Z");
    const until = new Date("2026-11-01T11:00:00Z");
    const a = availability(
      [
        phase("api", 1, "Ready", "2026-11-01T09:00:00Z"),
        phase("api", 2, "Degraded", "2026-11-01T10:30:00Z"),
        phase("api", 3, "Ready", "2026-11-01T10:45:00Z"),
        phase("db", 1, "Progressing", "2026-11-01T10:20:00Z"),
        phase("db", 2, "Ready", "2026-11-01T10:40:00Z"),
      ],
      since,
      until,
    );
    expect(a).toEqual({ api: 0.75, db: 0.5 }); // db: known from 10:20, Ready 20 of its 40 minutes
  });
});

describe("the timeline and recoveries API", () => {
  it("answers the store's records, refuses a bad range, and says 501 without a store", async () => {
    const store = await openStore("sqlite::memory:");
    await store.write([
      phase("api", 1, "Ready", new Date(Date.now() - 600_000).toISOString()),
      {
        ...base,
        kind: "rollback",
        key: "2@x",
        at: new Date(Date.now() - 300_000).toISOString(),
        revision: 2,
        data: { trigger: "automatic", from: 2, to: 1, recoverySeconds: 150 },
      },
    ]);
    const d = await serveDashboard({ source: empty, port: 0, host: "127.0.0.1", history: store });
    const bare = await serveDashboard({ source: empty, port: 0, host: "127.0.0.1" });
    try {
      const get = (port: number, path: string) => fetch(`http://127.0.0.1:${port}${path}`);
      const t = await (await get(d.port, "/api/topologies/shop/web/timeline?since=1h")).json();
      expect(t).toMatchObject({
        nodes: ["api"],
        phases: [{ node: "api", phase: "Ready" }],
        availability: { api: 1 },
      });
      const r = await (await get(d.port, "/api/recoveries?since=1h")).json();
      expect(r).toMatchObject({
        objectiveSeconds: RECOVERY_OBJECTIVE_SECONDS,
        recoveries: [{ recoverySeconds: 150, withinObjective: false, from: 2, to: 1 }],
      });
      expect((await get(d.port, "/api/recoveries?since=last+week")).status).toBe(400);
      expect((await get(d.port, "/api/topologies/shop/web/timeline?since=1h&until=2h")).status).toBe(400);
      expect((await get(bare.port, "/api/recoveries")).status).toBe(501);
    } finally {
      await d.close();
      await bare.close();
      await store.close();
    }
  });
});
