// What this process applied last, per object, until its informer has caught up with that write (the
// expectations of client-go's controllers, for server-side apply). A reconcile that runs again before the
// watch has delivered its own apply sees the object as it was, and would apply the very same body again:
// a write that changes nothing. The memo tells that case apart: the same body, and a cached object older
// than the write's answer. Anything else (another body, a newer object, none at all) is applied as usual.
// Entries are kept at most `ttlMs`: a watch that lags longer than that costs one write again, no more.

interface Entry {
  resourceVersion: bigint;
  digest: string;
  at: number;
}

const version = (rv: string | undefined): bigint | undefined => {
  if (!rv || !/^[0-9]+$/.test(rv)) return undefined;
  return BigInt(rv);
};

export class AppliedMemo {
  private readonly memo = new Map<string, Entry>();

  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs = 60_000, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** Whether `digest` is what was last applied to `key` and the cache (at `cachedRv`) has not seen it yet. */
  pending(key: string, digest: string, cachedRv: string | undefined): boolean {
    const entry = this.memo.get(key);
    if (!entry) return false;
    const cached = version(cachedRv);
    if (this.now() - entry.at > this.ttlMs || (cached !== undefined && cached >= entry.resourceVersion)) {
      this.memo.delete(key);
      return false;
    }
    // No cached object: not seen yet, or deleted since (by hand, say), which the cache cannot tell
    // apart: applied again. Not a number: cannot be compared.
    if (cached === undefined) return false;
    return entry.digest === digest;
  }

  /** Records an apply of `digest` to `key` that the server answered with `resourceVersion`. */
  remember(key: string, digest: string, resourceVersion: string | undefined): void {
    const rv = version(resourceVersion);
    this.memo.delete(key);
    if (rv !== undefined) this.memo.set(key, { resourceVersion: rv, digest, at: this.now() });
    // Oldest first (insertion order): drop what has expired.
    for (const [k, e] of this.memo) {
      if (this.now() - e.at <= this.ttlMs) break;
      this.memo.delete(k);
    }
  }

  get size(): number {
    return this.memo.size;
  }
}
