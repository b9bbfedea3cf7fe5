// Turns an untrusted object into a resolved Topology, or into issues that name the field and the reason.
import type { z } from "zod";
import { expandNodes } from "./expand.ts";
import { checkRules, suggest } from "./rules.ts";
import { TopologyObject, TopologySpec } from "./schema.ts";
import type { Issue, Path, Topology } from "./topology.ts";

export type ParseResult =
  { ok: true; topology: Topology; warnings: Issue[] } | { ok: false; issues: Issue[]; warnings: Issue[] };

/**
 * Whether parsing skips zod's JIT, which compiles each object schema into a function the first time it
 * parses one: that costs a process that parses a few documents and exits (a `topo` command) more than it
 * saves. Long-running processes (the operator, the dashboard) keep it.
 */
let jitless = false;

export function parseWithoutJit(): void {
  jitless = true;
}

type ZodDef = {
  type: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
  in?: unknown;
  options?: unknown[];
};
const defOf = (s: unknown): ZodDef | undefined => (s as { _zod?: { def: ZodDef } })?._zod?.def;

/** The field names an object schema accepts at `path`, for "did you mean" suggestions. */
export function knownKeys(schema: unknown, path: Path): string[] {
  let def = defOf(schema);
  const unwrap = () => {
    while (def && ["optional", "default", "prefault", "nullable", "readonly", "pipe"].includes(def.type)) {
      def = defOf(def.type === "pipe" ? def.in : def.innerType);
    }
  };
  for (const seg of path) {
    unwrap();
    if (def?.type === "object" && typeof seg === "string") def = defOf(def.shape?.[seg]);
    else if (def?.type === "array" && typeof seg === "number") def = defOf(def.element);
    else return [];
  }
  unwrap();
  return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  // A binary file reads as one long string: its first characters are enough to recognise it.
  if (typeof value === "string" && value.length > 40)
    return `string ${JSON.stringify(value.slice(0, 24))}... (${value.length} characters)`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** zod's expected type in YAML's words: a mapping, a list, an integer. */
function describeExpected(expected: string): string {
  const words: Record<string, string> = { object: "a mapping", array: "a list", int: "an integer" };
  return words[expected] ?? `a ${expected}`;
}

/** zod issues → our issues, one per unknown key, with messages written for people. */
export function fromZodIssues(
  schema: unknown,
  issues: readonly z.core.$ZodIssue[],
  prefix: Path = [],
): Issue[] {
  const out: Issue[] = [];
  for (const iss of issues) {
    const path = [...prefix, ...(iss.path as Path)];
    if (iss.code === "unrecognized_keys") {
      const known = knownKeys(schema, iss.path as Path);
      for (const key of iss.keys)
        out.push({
          path: [...path, key],
          message: `unknown field "${key}"${suggest(key, known)}`,
          severity: "error",
        });
    } else if (iss.code === "invalid_type" && iss.input === undefined) {
      out.push({ path, message: "is required", severity: "error" });
    } else if (iss.code === "invalid_type" && !iss.message.startsWith("Invalid input")) {
      out.push({ path, message: iss.message, severity: "error" });
    } else if (iss.code === "invalid_type") {
      out.push({
        path,
        message: `must be ${describeExpected(iss.expected)}, not ${describeType(iss.input)}`,
        severity: "error",
      });
    } else if (iss.code === "invalid_union") {
      // A union of a pattern and a number: report the first branch's reason, it speaks of the pattern.
      const branch = iss.errors.find((e) => e.length > 0)?.[0];
      out.push({
        path,
        message: branch && branch.code !== "invalid_type" ? branch.message : iss.message,
        severity: "error",
      });
    } else if (iss.code === "invalid_value" && !iss.message.startsWith("Invalid")) {
      out.push({ path, message: iss.message, severity: "error" });
    } else if (iss.code === "invalid_value") {
      out.push({
        path,
        message: `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")}, not ${JSON.stringify(iss.input)}`,
        severity: "error",
      });
    } else if (iss.code === "too_big" || iss.code === "too_small") {
      const what = iss.origin === "array" ? "items" : iss.origin === "string" ? "characters" : "";
      const bound = iss.code === "too_big" ? "at most" : "at least";
      out.push({
        path,
        message: `must be ${bound} ${String(iss.code === "too_big" ? iss.maximum : iss.minimum)}${what ? ` ${what}` : ""}`,
        severity: "error",
      });
    } else {
      out.push({ path, message: iss.message, severity: "error" });
    }
  }
  return out;
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path.join("\0")}\0${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Validates a whole Topology object (apiVersion, kind, metadata, spec), as read from a file or the API server. */
export function parseTopology(input: unknown): ParseResult {
  const parsed = TopologyObject.safeParse(input, { reportInput: true, jitless });
  if (!parsed.success) {
    return { ok: false, issues: dedupe(fromZodIssues(TopologyObject, parsed.error.issues)), warnings: [] };
  }
  const { metadata, spec } = parsed.data;
  return resolveSpec(spec, {
    name: metadata.name,
    ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
    ...(metadata.uid ? { uid: metadata.uid } : {}),
    ...(metadata.generation !== undefined ? { generation: metadata.generation } : {}),
  });
}

/** Validates a spec alone (the operator reads metadata from the API server). */
export function parseSpec(
  spec: unknown,
  meta: { name: string; namespace?: string; uid?: string; generation?: number },
): ParseResult {
  const parsed = TopologySpec.safeParse(spec, { reportInput: true, jitless });
  if (!parsed.success)
    return {
      ok: false,
      issues: dedupe(fromZodIssues(TopologySpec, parsed.error.issues, ["spec"])),
      warnings: [],
    };
  return resolveSpec(parsed.data, meta);
}

function resolveSpec(
  spec: TopologySpec,
  meta: { name: string; namespace?: string; uid?: string; generation?: number },
): ParseResult {
  const nodes = expandNodes(spec);
  const all = dedupe(checkRules(meta.name, spec, nodes));
  const issues = all.filter((i) => i.severity === "error");
  const warnings = all.filter((i) => i.severity === "warning");
  if (issues.length > 0) return { ok: false, issues, warnings };
  return {
    ok: true,
    warnings,
    topology: { ...meta, spec, nodes, isolation: spec.isolation, rollout: spec.rollout },
  };
}
