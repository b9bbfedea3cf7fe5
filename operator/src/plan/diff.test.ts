import { diffValues, formatChange, sameValue } from "./diff.ts";

describe("diffValues", () => {
  it("finds nothing between equal values, whatever their key order", () => {
    expect(diffValues({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
    expect(sameValue({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it("names a changed, added and removed field by its path, quoting keys that are not identifiers", () => {
    expect(
      diffValues(
        { spec: { replicas: 1, paused: true }, metadata: { labels: { "topo.dev/node": "a" } } },
        { spec: { replicas: 3, strategy: "Recreate" }, metadata: { labels: { "topo.dev/node": "b" } } },
      ),
    ).toEqual([
      { path: "spec.replicas", from: 1, to: 3 },
      { path: "spec.paused", from: true },
      { path: "spec.strategy", to: "Recreate" },
      { path: 'metadata.labels["topo.dev/node"]', from: "a", to: "b" },
    ]);
  });

  it("matches list items by name, so an inserted env var is one addition", () => {
    const env = (...names: string[]) => names.map((name) => ({ name, value: name.toLowerCase() }));
    expect(diffValues({ env: env("A", "C") }, { env: env("A", "B", "C") })).toEqual([
      { path: "env[name=B]", to: { name: "B", value: "b" } },
    ]);
    expect(
      diffValues({ c: [{ name: "api", image: "x:1" }] }, { c: [{ name: "api", image: "x:2" }] }),
    ).toEqual([{ path: "c[name=api].image", from: "x:1", to: "x:2" }]);
  });

  it("compares other lists by position when their length holds, else as one value", () => {
    expect(diffValues({ args: ["a", "b"] }, { args: ["a", "c"] })).toEqual([
      { path: "args[1]", from: "b", to: "c" },
    ]);
    expect(diffValues({ args: [{ a: 1 }] }, { args: [{ a: 1 }, { b: 2 }] })).toEqual([
      { path: "args", from: [{ a: 1 }], to: [{ a: 1 }, { b: 2 }] },
    ]);
  });

  it("shows the items that go and come when a list of distinct scalars changes length", () => {
    expect(diffValues({ values: ["a", "b", "c"] }, { values: ["a", "c", "d", "e"] })).toEqual([
      { path: "values", from: "b" },
      { path: "values", to: "d" },
      { path: "values", to: "e" },
    ]);
  });

  it("prints a change as path: from → to, an addition with + and a removal with -", () => {
    expect(formatChange({ path: "image", from: "app:1", to: "app:2" })).toBe("image: app:1 → app:2");
    expect(formatChange({ path: "args", to: ["--x", "a b"] })).toBe('args: + ["--x","a b"]');
    expect(formatChange({ path: "value", from: "" })).toBe('value: - ""');
  });
});
