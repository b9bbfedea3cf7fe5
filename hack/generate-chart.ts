// Writes the chart's generated files (values.schema.json, the CRD copy); `npm run generate:chart`.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { chartGeneratedFiles } from "./chart-files.ts";

const root = join(import.meta.dirname, "..");
for (const [path, content] of Object.entries(await chartGeneratedFiles(root))) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.error(`wrote ${path}`);
}
