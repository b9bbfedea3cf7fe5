// Writes every generated artifact from the model: the CRD (crds/ and the chart), checked by tests when stale.
import { writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../operator/src/api/generated.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv.slice(2);
for (const [path, content] of Object.entries(generatedFiles())) {
  if (only.length > 0 && !only.some((o) => path.startsWith(o))) continue;
  const target = join(root, path);
  if (!existsSync(dirname(target))) mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.error(`wrote ${path}`);
}
