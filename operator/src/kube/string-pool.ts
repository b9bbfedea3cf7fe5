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
//
// Small subtrees are pooled too (hash-consing): half of the objects and lists the caches hold are equal
// to ones other cached objects hold, such as the owner reference every child of a Topology has, the
// labels and selectors a node's Deployment, Service and NetworkPolicy share, a group's spread constraint,
// a Ready pod's conditions, a converged Deployment's replica counts. Each is kept once, by a hash of its
// content, with its members pooled first, so that equal members are one object and a candidate is
// compared shallowly. A subtree enters the pool only once all its members are pooled ones (a nested one
// is shared from the second time it recurs): most subtrees holding a new one are unique, and keeping
// them would cost more than pooling saves. An object holding a resourceVersion is never pooled.
// Measured on the live objects of 200 converged 10-node Topologies (bench/cache-heap.ts): 60.9 KB per
// Topology with the transforms alone, 53.4 KB with strings pooled, 34.3 KB with subtrees too.
// Pooled subtrees are bounded like the strings (`treeLimit`, about 20,000 at 200 Topologies), and they
// are shared: nothing may modify an object the caches keep (informer caches are read-only).

/** Fields whose values are unique to one object version: pooling them would only fill the pool. */
const UNIQUE = new Set(["resourceVersion"]);

/** Subtrees whose JSON is longer are rarely repeated (a whole container, a metadata): not pooled. */
const MAX_TREE_KEY = 512;

/** FNV-1a of a string, cut to 30 bits so that V8 keeps it as a small integer (a Map key without a box). */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** Whether two JSON values with pooled members have the same members (the same objects, in order). */
function sameMembers(a: object, b: object): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || x[ka[i]!] !== y[ka[i]!]) return false;
  return true;
}

export class StringPool {
  private strings = new Map<string, string>();
  private trees = new Map<number, object>();
  /** Strings kept before the pool starts over. */
  readonly limit: number;
  /** Longer strings are rarely repeated (messages, annotations of JSON): left alone. */
  readonly maxLength: number;
  /** Subtrees kept before the pool of subtrees starts over; 0 pools strings alone. */
  readonly treeLimit: number;
  /** The content key of the subtree `tree` returned last, or undefined when it cannot be pooled. */
  private key: string | undefined;

  constructor(limit = 50_000, maxLength = 128, treeLimit = 150_000) {
    this.limit = limit;
    this.maxLength = maxLength;
    this.treeLimit = treeLimit;
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

  /**
   * A JSON value with every string replaced by the pool's copy, and every small subtree by the pool's
   * equal one (keys are V8's own). It is done in place: the value returned is `value` itself, unless the
   * pool holds a whole equal value. Equal before and after; only its memory changes.
   */
  intern<T>(value: T): T {
    if (typeof value === "string") return this.string(value) as T;
    if (typeof value !== "object" || value === null) return value;
    return this.tree(value) as T;
  }

  /** `value` with its members pooled, or the pool's equal subtree; sets `key` to its content key. */
  private tree(value: object): object {
    let key: string | undefined;
    if (Array.isArray(value)) {
      key = "[";
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        value[i] = this.member(v, false); // always: an equal string is not the same copy
        key = key !== undefined && this.key !== undefined ? `${key}${this.key},` : undefined;
      }
      if (key !== undefined) key += "]";
    } else {
      key = "{";
      const o = value as Record<string, unknown>;
      for (const k in o) {
        const v = o[k];
        o[k] = this.member(v, UNIQUE.has(k));
        key =
          key !== undefined && this.key !== undefined ? `${key}${JSON.stringify(k)}:${this.key},` : undefined;
      }
      if (key !== undefined) key += "}";
    }
    this.key = key;
    if (key === undefined || key.length > MAX_TREE_KEY || this.treeLimit === 0) {
      this.key = undefined;
      return value;
    }
    const h = hash(key);
    const kept = this.trees.get(h);
    if (kept !== undefined && sameMembers(kept, value)) return kept;
    // New (or a hash collision, which stays apart): no subtree holding it can be in the pool yet, so its
    // parent is not looked up, nor kept before it recurs. Most subtrees that hold a new one are unique (a
    // Service's spec, a container), and keeping each would cost more than pooling saves.
    this.key = undefined;
    if (kept !== undefined) return value;
    if (this.trees.size >= this.treeLimit) this.trees = new Map();
    this.trees.set(h, value);
    return value;
  }

  /** A member of a subtree, pooled; sets `key` to its content key (undefined for a unique string). */
  private member(v: unknown, unique: boolean): unknown {
    if (typeof v === "string") {
      if (unique) {
        this.key = undefined;
        return v;
      }
      const s = this.string(v);
      this.key = JSON.stringify(s);
      return s;
    }
    if (typeof v === "object" && v !== null) return this.tree(v);
    this.key = String(v);
    return v;
  }

  /** Strings the pool holds now. */
  get size(): number {
    return this.strings.size;
  }

  /** Subtrees the pool holds now. */
  get subtrees(): number {
    return this.trees.size;
  }
}

/** The pool every informer cache of the process shares (the operator's and the dashboard's): the same
 * names, uids and images recur across kinds. */
export const CACHE_STRINGS = new StringPool();
