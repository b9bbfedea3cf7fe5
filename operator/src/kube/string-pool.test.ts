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

  describe("subtrees", () => {
    const owner = () => [
      {
        apiVersion: "topo.dev/v1alpha1",
        kind: "Topology",
        name: copy("t1"),
        uid: copy("u-1"),
        controller: true,
      },
    ];
    const child = (name: string) => ({
      metadata: { name: copy(name), resourceVersion: copy("7"), ownerReferences: owner() },
      spec: { selector: { matchLabels: { "topo.dev/topology": copy("t1") } }, ports: [{ port: 80 }] },
    });

    it("keeps equal subtrees once, from the second time they recur, and leaves every value equal", () => {
      const pool = new StringPool();
      const [a, b, c] = [child("a"), child("b"), child("c")];
      const expected = structuredClone(c);
      for (const x of [a, b, c]) expect(pool.intern(x)).toBe(x); // a whole child holds a resourceVersion
      expect(c).toEqual(expected);
      // Members are shared at once (their members are strings); what holds them, from its second time.
      expect(b.metadata.ownerReferences[0]).toBe(a.metadata.ownerReferences[0]);
      expect(b.spec.ports).not.toBe(a.spec.ports);
      expect(c.spec.ports).toBe(b.spec.ports);
      expect(c.metadata.ownerReferences).toBe(b.metadata.ownerReferences);
      expect(c.spec.selector).toBe(b.spec.selector);
      // One level up each time it recurs: the spec, whose members were new until b, is kept from c.
      const d = child("d");
      pool.intern(d);
      expect(c.spec).not.toBe(b.spec);
      expect(d.spec).toBe(c.spec);
    });

    it("never pools what holds a resourceVersion, nor subtrees that differ", () => {
      const pool = new StringPool();
      const [a, b] = [child("a"), child("b")];
      b.spec.ports[0]!.port = 81;
      pool.intern(a);
      pool.intern(b);
      pool.intern(child("c"));
      expect(b.metadata).not.toBe(a.metadata);
      expect(b.spec.ports[0]).toEqual({ port: 81 });
      expect(a.spec.ports[0]).toEqual({ port: 80 });
      const again = { metadata: { resourceVersion: copy("7") } };
      expect(pool.intern(structuredClone(again))).not.toBe(pool.intern(again));
    });

    it("tells objects from lists and keys from values", () => {
      const pool = new StringPool();
      const values = () => [{ a: "b" }, ["a", "b"], { b: "a" }, { "a,b": 1 }, { a: 1, b: 1 }, { b: 1, a: 1 }];
      for (let i = 0; i < 3; i++) pool.intern(values());
      const [x, y] = [pool.intern(values()), pool.intern(values())];
      expect(y).toBe(x);
      expect(x).toEqual(values());
    });

    it("starts over at its limit", () => {
      const pool = new StringPool(50_000, 128, 2);
      for (const n of [1, 2, 3]) pool.intern({ n });
      expect(pool.subtrees).toBe(1);
    });

    it("pools strings alone with a limit of 0", () => {
      const pool = new StringPool(50_000, 128, 0);
      const [a, b] = [{ v: [copy("x")] }, { v: [copy("x")] }];
      pool.intern(a);
      pool.intern(b);
      expect(pool.subtrees).toBe(0);
      expect(b.v).not.toBe(a.v);
      expect(b.v[0]).toBe(a.v[0]);
    });
  });
});
