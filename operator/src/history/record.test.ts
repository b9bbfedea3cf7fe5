import { parseDuration, parseRetention } from "./record.ts";
import { historyUrlProblem } from "./store.ts";

describe("TOPO_HISTORY_RETENTION", () => {
  it.each([
    ["90d", { maxAgeMs: 90 * 86_400_000 }],
    ["12h,5000", { maxAgeMs: 12 * 3_600_000, maxRecords: 5000 }],
    [" 2w , 10 ", { maxAgeMs: 14 * 86_400_000, maxRecords: 10 }],
  ])("reads %j", (text, expected) => expect(parseRetention(text)).toEqual(expected));

  it.each(["", "90", "90 days", "90d,0", "90d,ten", "90d,1,2", "-1d"])("refuses %j", (text) =>
    expect(parseRetention(text)).toBeUndefined(),
  );

  it("reads durations in s, m, h, d, w", () =>
    expect(["30s", "5m", "1h", "1d", "1w"].map(parseDuration)).toEqual([
      30e3, 300e3, 3600e3, 86_400e3, 604_800e3,
    ]));
});

describe("TOPO_HISTORY_URL", () => {
  it.each([
    "sqlite:/var/lib/topo/history.db",
    "sqlite::memory:",
    "postgres://u@h:5432/db",
    "postgresql://h/db",
  ])("accepts %s", (url) => expect(historyUrlProblem(url)).toBeUndefined());
  it.each(["", "sqlite:", "mysql://h/db", "/tmp/history.db"])("refuses %j", (url) =>
    expect(historyUrlProblem(url)).toBeDefined(),
  );
});
