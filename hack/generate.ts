// Writes every generated artifact: the CRD from the model (crds/ and the chart) and the compose files of each
// example (compose/<example>/); tests fail when any of them is stale.
import { writeFileSync, mkdirSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../operator/src/api/generated.ts";
import { parseTopology } from "../operator/src/api/parse.ts";
import { readDocuments } from "../operator/src/api/source.ts";
import { exampleComposeFiles } from "../operator/src/render/compose/generated.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv.slice(2);

/** compose/<example>/ for every examples/<example>.yaml, from its first Topology. */
function composeFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of readdirSync(join(root, "examples"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    const { documents } = readDocuments(readFileSync(join(root, "examples", file), "utf8"));
    const result = parseTopology(documents[0]?.value);
    if (!result.ok) throw new Error(`examples/${file} is invalid: ${JSON.stringify(result.issues)}`);
    Object.assign(files, exampleComposeFiles(basename(file, ".yaml"), result.topology));
  }
  return files;
}

for (const [path, content] of Object.entries({ ...generatedFiles(), ...composeFiles() })) {
  if (only.length > 0 && !only.some((o) => path.startsWith(o))) continue;
  const target = join(root, path);
  if (!existsSync(dirname(target))) mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.error(`wrote ${path}`);
}
