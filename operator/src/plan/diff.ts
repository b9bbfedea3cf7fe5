// diffValues: the field-level changes from one JSON value to another, as a plan prints them (pure). Lists
// whose items all carry a `name` are matched by name (containers, env, ports), so inserting one item shows
// as one addition rather than a change of every item after it; other lists by position when their length
// holds, else as one value.

export interface FieldChange {
  /** `spec.template.spec.containers[name=api].image`, `metadata.labels["topo.dev/node"]`. */
  path: string;
  /** Absent: the field is added. */
  from?: unknown;
  /** Absent: the field is removed. */
  to?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep equality of JSON values; key order does not matter. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

/** A map key as a path segment: `.name` when it is a plain identifier, else `["topo.dev/node"]`. */
function keySegment(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

const named = (list: unknown[]): list is { name: string }[] =>
  list.every((i) => isObject(i) && typeof i.name === "string") &&
  new Set(list.map((i) => (i as { name: string }).name)).size === list.length;

const distinctScalars = (list: unknown[]) =>
  list.every((i) => typeof i !== "object" || i === null) && new Set(list).size === list.length;

export function diffValues(from: unknown, to: unknown, path = ""): FieldChange[] {
  if (sameValue(from, to)) return [];
  if (from === undefined) return [{ path, to }];
  if (to === undefined) return [{ path, from }];
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])];
    return keys.flatMap((k) => diffValues(from[k], to[k], keySegment(path, k)));
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    if (from.length > 0 && to.length > 0 && named(from) && named(to)) {
      const before = new Map(from.map((i) => [i.name, i]));
      const after = new Map(to.map((i) => [i.name, i]));
      const names = [...new Set([...before.keys(), ...after.keys()])];
      return names.flatMap((n) => diffValues(before.get(n), after.get(n), `${path}[name=${n}]`));
    }
    if (from.length === to.length) return from.flatMap((x, i) => diffValues(x, to[i], `${path}[${i}]`));
    // A list of distinct scalars that grows or shrinks (a selector's values): the items that go and come.
    if (distinctScalars(from) && distinctScalars(to))
      return [
        ...from.filter((x) => !to.includes(x)).map((x) => ({ path, from: x })),
        ...to.filter((x) => !from.includes(x)).map((x) => ({ path, to: x })),
      ];
  }
  return [{ path, from, to }];
}

/** A value as one line: strings as they are when plain, everything else as JSON. */
export function formatValue(v: unknown): string {
  if (typeof v === "string") return /^[\w./:@+-]+$/.test(v) && v !== "" ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** `path: from → to`, `path: + value`, `path: - value`. */
export function formatChange(c: FieldChange): string {
  if (!("from" in c) || c.from === undefined) return `${c.path}: + ${formatValue(c.to)}`;
  if (!("to" in c) || c.to === undefined) return `${c.path}: - ${formatValue(c.from)}`;
  return `${c.path}: ${formatValue(c.from)} → ${formatValue(c.to)}`;
}
