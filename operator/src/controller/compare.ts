// needsApply: whether an observed child already holds every field we would apply (pure), so an idle
// reconcile makes no write calls. The API server adds defaults; it never changes what we set, except
// that it writes quantities in canonical form (0.5 → 500m), which is compared by value.
import { quantityValue } from "../api/units.ts";

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && Object.keys(v).length === 0)
  );
}

/** True when every field of `desired` is present with the same value in `observed`. */
export function contains(observed: unknown, desired: unknown): boolean {
  // The API server omits empty strings (`value: ""` comes back as no value).
  if (desired === "") return observed === undefined || observed === "";
  if (isEmpty(desired)) return isEmpty(observed) || typeof observed === typeof desired;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(observed) &&
      observed.length === desired.length &&
      desired.every((d, i) => contains(observed[i], d))
    );
  }
  if (typeof desired === "object" && desired !== null) {
    if (typeof observed !== "object" || observed === null) return false;
    return Object.entries(desired).every(([k, v]) => contains((observed as Record<string, unknown>)[k], v));
  }
  if (desired === observed) return true;
  if (typeof desired === "string" && typeof observed === "string") {
    const a = quantityValue(desired);
    return a !== undefined && a === quantityValue(observed);
  }
  return false;
}

interface Meta {
  kind?: string;
  metadata: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  spec?: unknown;
}

/** The path of the first desired field the observed value does not hold, or undefined when it holds all. */
export function difference(observed: unknown, desired: unknown, path = ""): string | undefined {
  if (contains(observed, desired)) return undefined;
  if (Array.isArray(desired) && Array.isArray(observed) && observed.length === desired.length) {
    for (let i = 0; i < desired.length; i++) {
      const d = difference(observed[i], desired[i], `${path}[${i}]`);
      if (d) return d;
    }
  }
  if (
    typeof desired === "object" &&
    desired !== null &&
    !Array.isArray(desired) &&
    typeof observed === "object" &&
    observed !== null
  ) {
    for (const [k, v] of Object.entries(desired)) {
      const d = difference((observed as Record<string, unknown>)[k], v, path ? `${path}.${k}` : k);
      if (d) return d;
    }
  }
  return path || "(root)";
}

/**
 * Fields a renderer leaves out to mean "none", which only our own apply ever sets: the API server drops an
 * empty list, so the renderer cannot send one, and `contains` cannot see that a list we once sent must go. A
 * NetworkPolicy whose node lost its last incoming peer has no `ingress`, and the observed rule that still
 * admits the removed peer must be applied away (server-side apply removes a field its manager stops
 * sending).
 */
const OMITTED_MEANS_NONE: Readonly<Record<string, readonly (readonly string[])[]>> = {
  NetworkPolicy: [["spec", "ingress"]],
};

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const k of path)
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The first field the renderer omitted (meaning none) that the observed object still holds. */
function leftOver(desired: Meta, observed: Meta): string | undefined {
  for (const path of OMITTED_MEANS_NONE[desired.kind ?? ""] ?? [])
    if (isEmpty(at(desired, path)) && !isEmpty(at(observed, path))) return path.join(".");
  return undefined;
}

/** Why the observed object must be (re)applied: a field path, "missing", or undefined when it need not be. */
export function applyReason(desired: Meta, observed: Meta | undefined): string | undefined {
  if (!observed) return "missing";
  const { labels, annotations, ownerReferences } = desired.metadata;
  return (
    difference(observed.metadata.labels, labels ?? {}, "metadata.labels") ??
    difference(observed.metadata.annotations, annotations ?? {}, "metadata.annotations") ??
    difference(observed.metadata.ownerReferences, ownerReferences ?? [], "metadata.ownerReferences") ??
    difference(observed.spec, desired.spec, "spec") ??
    leftOver(desired, observed)
  );
}

/** Apply when the observed object is missing or differs from the desired one in any field we own. */
export function needsApply(desired: Meta, observed: Meta | undefined): boolean {
  return applyReason(desired, observed) !== undefined;
}
