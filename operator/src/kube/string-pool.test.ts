import { StringPool } from "./string-pool.ts";

// Two strings with the same characters, built at run time so that V8 keeps them apart (literals are shared).
const copy = (s: string) => [...s].join("");

describe("StringPool", () => {
  it("gives equal strings one copy", () => {
    const pool = new StringPool();
    const a = pool.string(copy("registry.example/connector:1"));
    const b = pool.string(copy("registry.example/connector:1"));
    expect(b).toBe(a);
    expect(pool.size).toBe(1);
  });

  it("interns a JSON value in place and leaves it equal", () => {
    const pool = new StringPool();
    const owner = () => ({ kind: "Topology", name: copy("p00"), uid: copy("fa715657-8208") });
    const value = () => ({
      metadata: {
        name: copy("p00-c-0"),
        resourceVersion: copy("15662"),
        labels: { "topo.dev/topology": copy("p00") },
        ownerReferences: [owner()],
      },
      spec: { containers: [{ image: copy("img:1"), args: [copy("--port"), copy("80")] }], replicas: 1 },
    });
    const [a, b] = [value(), value()];
    const expected = structuredClone(b);
    expect(pool.intern(b)).toBe(b);
    expect(b).toEqual(expected);
    pool.intern(a);
    expect(b.metadata.ownerReferences[0]!.uid).toBe(a.metadata.ownerReferences[0]!.uid);
    expect(b.metadata.labels["topo.dev/topology"]).toBe(b.metadata.ownerReferences[0]!.name);
    expect(b.spec.containers[0]!.args[1]).toBe(pool.string(copy("80")));
    expect(b.spec.replicas).toBe(1);
  });

  it("does not pool resourceVersions, which are new at every update", () => {
    const pool = new StringPool();
    pool.intern({ metadata: { resourceVersion: copy("1") } });
    expect(pool.size).toBe(0);
  });

  it("leaves long strings alone", () => {
    const pool = new StringPool(10, 8);
    pool.string(copy("a long message"));
    expect(pool.size).toBe(0);
  });

  it("starts over at its limit instead of growing", () => {
    const pool = new StringPool(3);
    for (const s of ["a", "b", "c", "d", "e"]) pool.string(copy(s));
    expect(pool.size).toBe(2);
    const d = pool.string(copy("d"));
    expect(pool.string(copy("d"))).toBe(d);
  });
});
