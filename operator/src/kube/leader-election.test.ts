import { microTime } from "./leader-election.ts";

describe("microTime", () => {
  it("writes six fractional digits, the only form the API server accepts for a Lease's times", () => {
    expect(microTime(new Date("2026-11-23T09:16:10.591Z"))).toBe("2026-11-23T09:16:10.591000Z");
    expect(microTime(new Date(0))).toBe("1970-01-01T00:00:00.000000Z");
  });
});
