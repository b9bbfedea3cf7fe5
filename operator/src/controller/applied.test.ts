import { AppliedMemo } from "./applied.ts";

describe("AppliedMemo", () => {
  it("holds back the same body while the cache is older than the apply, and lets it go once caught up", () => {
    const memo = new AppliedMemo();
    memo.remember("Deployment/ns/api", "body-1", "120");
    expect(memo.pending("Deployment/ns/api", "body-1", "100")).toBe(true);
    // Not in the cache: not seen yet, or deleted by hand since; applied again either way.
    expect(memo.pending("Deployment/ns/api", "body-1", undefined)).toBe(false);
    expect(memo.pending("Deployment/ns/api", "body-1", "120")).toBe(false);
    // Caught up: forgotten, so even an older cache (a relist from elsewhere) applies again.
    expect(memo.pending("Deployment/ns/api", "body-1", "100")).toBe(false);
    expect(memo.size).toBe(0);
  });

  it("applies another body, another object, or a cache that moved past the write", () => {
    const memo = new AppliedMemo();
    memo.remember("Deployment/ns/api", "body-1", "120");
    expect(memo.pending("Deployment/ns/api", "body-2", "100")).toBe(false);
    expect(memo.pending("Deployment/ns/web", "body-1", "100")).toBe(false);
    expect(memo.pending("Deployment/ns/api", "body-1", "121")).toBe(false);
  });

  it("forgets an entry after its time to live, and never compares what is not a number", () => {
    let now = 0;
    const memo = new AppliedMemo(1000, () => now);
    memo.remember("a", "d", "5");
    memo.remember("b", "d", "x");
    expect(memo.size).toBe(1); // an answer without a numeric resourceVersion is not remembered
    expect(memo.pending("a", "d", "not-a-number")).toBe(false);
    now = 1001;
    expect(memo.pending("a", "d", "1")).toBe(false);
    memo.remember("c", "d", "7");
    now = 2500;
    memo.remember("e", "d", "9");
    expect(memo.size).toBe(1); // the expired "c" went when "e" was written
  });
});
