import { durationSeconds, parseDuration, QUANTITY, quantityValue } from "./units.ts";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1500],
    ["0s", 0],
  ])("reads %s as %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["10", "s", "10 s", "-1s", "1d", ""])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("rounds probe seconds up and honours the minimum", () => {
    expect(durationSeconds(500, 1)).toBe(1);
    expect(durationSeconds(0, 1)).toBe(1);
    expect(durationSeconds(2500)).toBe(3);
  });
});

describe("QUANTITY", () => {
  it.each(["100m", "1", "0.5", "128Mi", "1Gi", "2e3"])("accepts %s", (q) =>
    expect(QUANTITY.test(q)).toBe(true),
  );
  it.each(["1GB", "abc", "-1", "1 Gi", ""])("rejects %j", (q) => expect(QUANTITY.test(q)).toBe(false));
});

describe("quantityValue", () => {
  it.each([
    ["500m", 0.5],
    ["0.5", 0.5],
    ["1Gi", 2 ** 30],
    ["1024Mi", 2 ** 30],
    ["1e3", 1000],
    ["1k", 1000],
  ])("reads %s", (q, v) => expect(quantityValue(q)).toBeCloseTo(v));
  it("rejects what is not a quantity", () => expect(quantityValue("abc")).toBeUndefined());
});
