// The files generated from the model, by repository path; `npm run generate` writes them, a test compares.
import { stringify } from "yaml";
import { toCrd } from "./crd.ts";

const HEADER = "# Generated from operator/src/api by `npm run generate`. Do not edit.\n";

export const CRD_PATH = "crds/topo.dev_topologies.yaml";

export function generatedFiles(): Record<string, string> {
  return { [CRD_PATH]: HEADER + stringify(toCrd(), { lineWidth: 0, aliasDuplicateObjects: false }) };
}
