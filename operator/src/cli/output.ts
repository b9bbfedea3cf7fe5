// Serialises objects the way kubectl prints them: YAML documents, or a JSON List.
import { UsageError } from "./command.ts";
import { toYamlDocuments } from "../render/yaml.ts";

export type Format = "yaml" | "json";

export function outputFormat(value: unknown, allowed: readonly string[], fallback: string): string {
  const format = typeof value === "string" ? value : fallback;
  if (!allowed.includes(format))
    throw new UsageError(`unknown output format "${format}"; use one of ${allowed.join(", ")}`);
  return format;
}

export function formatObjects(objects: unknown[], format: Format): string {
  if (format === "json")
    return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
  return toYamlDocuments(objects);
}
