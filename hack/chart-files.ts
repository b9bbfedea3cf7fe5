// The chart's generated files: values.schema.json (from the comments and values of values.yaml) and its copy
// of the CRD (crds/ is the source). `npm run generate:chart` writes them; test/e2e/chart fails when stale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import { isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from "yaml";

export const CHART_DIR = "charts/topo-operator";
export const CRD_SOURCE = "crds/topo.dev_topologies.yaml";
export const CHART_CRD = `${CHART_DIR}/files/crds/topo.dev_topologies.yaml`;
export const VALUES_SCHEMA = `${CHART_DIR}/values.schema.json`;

type Schema = Record<string, unknown>;

const SCHEMA_TAG = /^\s*@schema\s+(.*)$/;

/** The description and `@schema {...}` keywords of one comment block (its last paragraph). */
function readComment(
  comment: string | null | undefined,
  where: string,
): { description?: string; extra: Schema } {
  const block = (comment ?? "").split(/\n\s*\n/).at(-1) ?? "";
  const text: string[] = [];
  let extra: Schema = {};
  for (const line of block.split("\n").map((l) => l.trim())) {
    const tag = SCHEMA_TAG.exec(line);
    if (!tag) {
      if (line) text.push(line);
      continue;
    }
    try {
      extra = { ...extra, ...(JSON.parse(tag[1]!) as Schema) };
    } catch (err) {
      throw new Error(`values.yaml: ${where}: @schema is not JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return { ...(text.length ? { description: text.join(" ") } : {}), extra };
}

function inferNode(node: Node | null | undefined, where: string): Schema {
  if (isMap(node)) return inferMap(node, where);
  if (isSeq(node)) {
    const first = node.items[0] as Node | undefined;
    return { type: "array", ...(first ? { items: inferNode(first, `${where}[0]`) } : {}) };
  }
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === "string") return { type: "string" };
    if (typeof v === "boolean") return { type: "boolean" };
    if (typeof v === "number") return { type: Number.isInteger(v) ? "integer" : "number" };
    return {};
  }
  return {};
}

/** A map with keys is closed (a typo fails); an empty map (`{}`) is free-form, like annotations. */
function inferMap(map: YAMLMap, where: string): Schema {
  if (map.items.length === 0) return { type: "object" };
  const properties: Record<string, Schema> = {};
  map.items.forEach((pair, i) => {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const path = where ? `${where}.${key}` : key;
    const keyNode = pair.key as Node & { commentBefore?: string | null };
    const comment = keyNode.commentBefore ?? (i === 0 ? map.commentBefore : undefined);
    const { description, extra } = readComment(comment, path);
    if (!description) throw new Error(`values.yaml: ${path} has no comment: every key is documented`);
    const inferred = inferNode(pair.value as Node, path);
    const type = extra.type ?? inferred.type;
    properties[key] = { ...inferred, ...extra, ...(type ? { type } : {}), description };
  });
  return { type: "object", additionalProperties: false, properties };
}

/** The JSON Schema of a values file: types from the default values, descriptions from the comments. */
export function valuesSchema(valuesYaml: string, title: string): Schema {
  const doc = parseDocument(valuesYaml);
  if (doc.errors.length) throw new Error(`values.yaml: ${doc.errors[0]!.message}`);
  const root = inferMap(doc.contents as YAMLMap, "");
  const properties = root.properties as Record<string, Schema>;
  // Helm passes `global` to every chart; allow it so the chart also works as a dependency.
  properties.global = { type: "object", description: "Helm's global values (unused by this chart)." };
  return { $schema: "http://json-schema.org/draft-07/schema#", title, ...root };
}

/** Every generated chart file by repository path, formatted as Prettier would. */
export async function chartGeneratedFiles(root: string): Promise<Record<string, string>> {
  const values = readFileSync(join(root, CHART_DIR, "values.yaml"), "utf8");
  const schema = valuesSchema(values, "topo-operator chart values (generated from values.yaml)");
  const options = (await resolveConfig(join(root, VALUES_SCHEMA))) ?? {};
  return {
    [VALUES_SCHEMA]: await format(JSON.stringify(schema), { ...options, parser: "json" }),
    [CHART_CRD]: readFileSync(join(root, CRD_SOURCE), "utf8"),
  };
}
