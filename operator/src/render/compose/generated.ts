// The compose files generated for each example under compose/; `npm run generate` writes them, a test compares.
import type { Topology } from "../../api/topology.ts";
import { renderComposeYaml } from "./index.ts";
import { formatEnvExample } from "./secrets.ts";

export const COMPOSE_DIR = "compose";

/** compose/<example>/docker-compose.yml and .env.example, by repository path. */
export function exampleComposeFiles(example: string, topology: Topology): Record<string, string> {
  const header =
    `# Generated from examples/${example}.yaml by \`npm run generate\`. Do not edit.\n` +
    `# Run: docker compose -p ${topology.name} -f ${COMPOSE_DIR}/${example}/docker-compose.yml --env-file FILE up -d\n`;
  return {
    [`${COMPOSE_DIR}/${example}/docker-compose.yml`]: header + renderComposeYaml(topology),
    [`${COMPOSE_DIR}/${example}/.env.example`]: formatEnvExample(topology),
  };
}
