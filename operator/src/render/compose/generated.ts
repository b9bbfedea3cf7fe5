// The compose files generated for each example under compose/; `npm run generate` writes them, a test compares.
import type { Topology } from "../../api/topology.ts";
import { filesToWrite, renderComposeYaml } from "./index.ts";
import { formatEnvExample } from "./secrets.ts";

export const COMPOSE_DIR = "compose";

/**
 * compose/<example>/docker-compose.yml, .env.example and the content files it names (files/..., which
 * `topo compose --out` writes with their modes; git keeps them 0644), by repository path.
 */
export function exampleComposeFiles(example: string, topology: Topology): Record<string, string> {
  const header =
    `# Generated from examples/${example}.yaml by \`npm run generate\`. Do not edit.\n` +
    `# Run: docker compose -p ${topology.name} -f ${COMPOSE_DIR}/${example}/docker-compose.yml --env-file FILE up -d\n`;
  return {
    [`${COMPOSE_DIR}/${example}/docker-compose.yml`]: header + renderComposeYaml(topology),
    [`${COMPOSE_DIR}/${example}/.env.example`]: formatEnvExample(topology),
    ...Object.fromEntries(
      filesToWrite(topology)
        .filter((f) => f.content !== undefined)
        .map((f) => [`${COMPOSE_DIR}/${example}/files/${f.file}`, f.content!]),
    ),
  };
}
