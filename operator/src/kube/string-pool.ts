// StringPool: one copy of each repeated string the informer caches hold. JSON.parse gives every string
// value of every watch event its own copy, and an operator's children repeat theirs many times over: the
// Topology's name and uid in each child's labels and owner reference, the image, the label values, the
// timestamps of one second. The caches are most of the operator's heap at scale (about 75 KB of the
// 99 KB each 10-node Topology adds), and pooling their strings saves about a fifth of it. It is done in
// place: rebuilding the objects would cost five times the parse, and V8 keeps objects that JSON.parse
// made more compactly than ones built field by field.
//
// The pool is bounded: at `limit` strings it starts over. Strings already cached keep their (shared)
// copies; only later ones stop deduplicating against the forgotten entries, so the pool can never grow
// with the churn of a long run (a resourceVersion is new at every update, and is not pooled at all).

/** Fields whose values are unique to one object version: pooling them would only fill the pool. */
const UNIQUE = new Set(["resourceVersion"]);

export class StringPool {
  private strings = new Map<string, string>();
  /** Strings kept before the pool starts over. */
  readonly limit: number;
  /** Longer strings are rarely repeated (messages, annotations of JSON): left alone. */
  readonly maxLength: number;

  constructor(limit = 50_000, maxLength = 128) {
    this.limit = limit;
    this.maxLength = maxLength;
  }

  /** The pool's copy of `s` (and `s` becomes it when the pool has none). */
  string(s: string): string {
    if (s.length > this.maxLength) return s;
    const kept = this.strings.get(s);
    if (kept !== undefined) return kept;
    if (this.strings.size >= this.limit) this.strings = new Map();
    this.strings.set(s, s);
    return s;
  }

  /** Replaces every string in a JSON value (its values and list items; keys are V8's own) by the pool's
   * copy, in place, and returns the value. Equal before and after; only its memory changes. */
  intern<T>(value: T): T {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === "string") value[i] = this.string(v);
        else if (typeof v === "object" && v !== null) this.intern(v);
      }
    } else if (typeof value === "object" && value !== null) {
      const o = value as Record<string, unknown>;
      for (const k in o) {
        const v = o[k];
        if (typeof v === "string") {
          if (!UNIQUE.has(k)) o[k] = this.string(v);
        } else if (typeof v === "object" && v !== null) this.intern(v);
      }
    }
    return value;
  }

  /** Strings the pool holds now. */
  get size(): number {
    return this.strings.size;
  }
}

/** The pool every informer cache of the process shares (the operator's and the dashboard's): the same
 * names, uids and images recur across kinds. */
export const CACHE_STRINGS = new StringPool();
