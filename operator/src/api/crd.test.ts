import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { toCrd } from "./crd.ts";
import { CRD_PATH, generatedFiles } from "./generated.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

function walk(node: unknown, visit: (n: Record<string, unknown>, path: string) => void, path = ""): void {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, visit, `${path}[${i}]`));
  else if (node && typeof node === "object") {
    visit(node as Record<string, unknown>, path);
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${path}.${k}`);
  }
}

describe("the generated CRD", () => {
  const crd = toCrd() as {
    spec: {
      versions: { schema: { openAPIV3Schema: unknown }; additionalPrinterColumns: { name: string }[] }[];
      names: Record<string, unknown>;
    };
  };
  const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;

  it("is committed and up to date (run `npm run generate` when this fails)", () => {
    const committed = readFileSync(join(ROOT, CRD_PATH), "utf8");
    expect(committed).toBe(generatedFiles()[CRD_PATH]);
  });

  it("is structural: no $ref, no additionalProperties beside properties, every node typed", () => {
    const problems: string[] = [];
    walk(schema, (n, path) => {
      if ("$ref" in n) problems.push(`${path}: $ref`);
      if ("properties" in n && "additionalProperties" in n)
        problems.push(`${path}: additionalProperties beside properties`);
      if (("properties" in n || "items" in n) && !("type" in n)) problems.push(`${path}: no type`);
      if ("anyOf" in n || "oneOf" in n || "allOf" in n) problems.push(`${path}: union`);
      if (typeof n.pattern === "string" && /\(\?[=!<]/.test(n.pattern))
        problems.push(`${path}: lookaround in pattern`);
    });
    expect(problems).toEqual([]);
  });

  it("keys named lists by name, and bounds every list a CEL rule walks", () => {
    const lists: string[] = [];
    walk(schema, (n, path) => {
      if (n["x-kubernetes-list-type"] === "map")
        lists.push(`${path}:${(n["x-kubernetes-list-map-keys"] as string[]).join(",")}`);
      if (n.type === "array") expect(typeof n.maxItems).toBe("number");
    });
    expect(lists).toEqual(
      expect.arrayContaining([
        ".properties.spec.properties.nodes:name",
        ".properties.spec.properties.generators:prefix",
        ".properties.status.properties.conditions:type",
      ]),
    );
  });

  it("has the status subresource, short name, category and printer columns", () => {
    expect(crd.spec.names).toMatchObject({ plural: "topologies", shortNames: ["topo"], categories: ["all"] });
    expect(crd.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name)).toEqual([
      "Phase",
      "Ready",
      "Revision",
      "Age",
    ]);
    expect(parse(readFileSync(join(ROOT, CRD_PATH), "utf8")).spec.versions[0].subresources).toEqual({
      status: {},
    });
  });
});
