// extractOwned: the part of a live object that one field manager set with server-side apply, read from
// its managedFields (pure). It is client-go's Extract<Kind>(obj, fieldManager) for any kind: applying
// the result again under the same manager changes nothing. The operator uses it to keep a revision's
// objects only when a newer revision supersedes them, from the children that are still running it.

/** A managedFields entry, as the API server writes it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: FieldSet;
}

/** structured-merge-diff's FieldsV1: `f:<field>`, `k:<key json>`, `v:<value json>`, `i:<index>`, and `.`. */
export interface FieldSet {
  [path: string]: FieldSet;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The union of two field sets: every field either names. */
export function mergeSets(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? mergeSets(out[k], v) : v;
  return out;
}

/** Deep equality of JSON values (key fields and set values). */
function same(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => same(a[k], b[k]));
  }
  return false;
}

/** The value of a `k:` or `v:` path. The informer caches cut every child they keep to its owned fields,
 * and the same few keys (a container's name, a port) recur in all of them: each is parsed once. */
const parsed = new Map<string, Json>();
function pathValue(path: string): Json {
  let v = parsed.get(path);
  if (v === undefined) {
    if (parsed.size >= 10_000) parsed.clear();
    v = JSON.parse(path.slice(2)) as Json;
    parsed.set(path, v);
  }
  return v;
}

/** Whether list element `item` at `index` is the one a `k:`, `v:` or `i:` path names. */
function matches(path: string, item: Json, index: number): boolean {
  if (path.startsWith("k:")) {
    const key = pathValue(path) as JsonObject;
    return isObject(item) && Object.entries(key).every(([k, v]) => same(item[k], v));
  }
  if (path.startsWith("v:")) return same(item, pathValue(path));
  if (path.startsWith("i:")) return Number(path.slice(2)) === index;
  return false;
}

/**
 * The members of `value` that `set` names. An empty set names the whole value (a leaf, or an atomic
 * list or map); a leaf that is named but absent was an empty string. A list element named by its key
 * keeps its key fields even when only `.` (its existence) is owned. List order is the live order.
 * `absentAsEmpty: false` leaves a named but absent leaf out instead (to compare two objects, where the
 * set names fields only one of them has).
 */
export function extractFields(
  value: Json,
  set: FieldSet,
  opts: { absentAsEmpty?: boolean } = {},
): Json | undefined {
  const paths = Object.keys(set).filter((p) => p !== ".");
  if (paths.length === 0) return Object.keys(set).length === 0 ? value : undefined;
  if (Array.isArray(value)) {
    const out: Json[] = [];
    value.forEach((item, i) => {
      const path = paths.find((p) => matches(p, item, i));
      if (path === undefined) return;
      const sub = set[path]!;
      const key = path.startsWith("k:") ? (pathValue(path) as JsonObject) : undefined;
      const inner = Object.keys(sub).length === 0 ? item : extractFields(item, sub, opts);
      out.push(key ? { ...(isObject(inner) ? inner : {}), ...key } : (inner ?? item));
    });
    return out;
  }
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const path of paths) {
    if (!path.startsWith("f:")) continue;
    const name = path.slice(2);
    if (!(name in value)) {
      // Owned but absent: the API server omits empty strings (omitempty), such as an env var's value "".
      // Without it, applying the result again would give up the field and rewrite managedFields.
      if (opts.absentAsEmpty !== false && Object.keys(set[path]!).length === 0) out[name] = "";
      continue;
    }
    const inner = extractFields(value[name]!, set[path]!, opts);
    if (inner !== undefined) out[name] = inner;
  }
  return out;
}

interface LiveObject {
  apiVersion?: string;
  kind?: string;
  /** managedFields as the API server writes them (see ManagedFieldsEntry). */
  metadata?: { name?: string; namespace?: string; managedFields?: readonly object[] };
}

/**
 * The apply configuration `manager` holds in `obj` (its Apply entries, main resource only), with
 * apiVersion, kind, name and namespace; undefined when the manager owns nothing in it.
 */
export function extractOwned<T extends LiveObject>(
  obj: T,
  manager: string,
): Record<string, unknown> | undefined {
  const entries = ((obj.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).filter(
    (e) => e.manager === manager && e.operation === "Apply" && !e.subresource && e.fieldsV1,
  );
  if (entries.length === 0) return undefined;
  const set = entries.map((e) => e.fieldsV1!).reduce(mergeSets);
  const { managedFields: _own, ...live } = obj.metadata ?? {};
  const owned = (extractFields({ ...obj, metadata: live } as unknown as Json, set) ?? {}) as JsonObject;
  const metadata = isObject(owned.metadata) ? owned.metadata : {};
  return {
    ...owned,
    apiVersion: obj.apiVersion ?? null,
    kind: obj.kind ?? null,
    metadata: { ...metadata, name: obj.metadata?.name ?? null, namespace: obj.metadata?.namespace ?? null },
  };
}
