// Small builders for topology fixtures, shared by the unit tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTopology } from "../../operator/src/api/parse.ts";
import type { Topology } from "../../operator/src/api/topology.ts";
import { readDocuments } from "../../operator/src/api/source.ts";

export const ROOT = join(import.meta.dirname, "..", "..");

export function topologyObject(spec: Record<string, unknown>, name = "demo"): Record<string, unknown> {
  return { apiVersion: "topo.dev/v1alpha1", kind: "Topology", metadata: { name }, spec };
}

/** A resolved topology from a spec; fails the test when the spec is invalid. */
export function resolve(
  spec: Record<string, unknown>,
  meta: { name?: string; namespace?: string; uid?: string } = {},
): Topology {
  const obj = topologyObject(spec, meta.name);
  Object.assign(
    obj.metadata as object,
    meta.namespace ? { namespace: meta.namespace } : {},
    meta.uid ? { uid: meta.uid } : {},
  );
  const result = parseTopology(obj);
  if (!result.ok) throw new Error(`fixture is invalid: ${JSON.stringify(result.issues)}`);
  return result.topology;
}

export const EXAMPLES = ["connector-lab", "web-stack"];

export function loadExample(name: string): Topology {
  const { documents } = readDocuments(readFileSync(join(ROOT, "examples", `${name}.yaml`), "utf8"));
  const result = parseTopology(documents[0]!.value);
  if (!result.ok) throw new Error(`example ${name} is invalid: ${JSON.stringify(result.issues)}`);
  return result.topology;
}
