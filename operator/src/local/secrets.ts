// Where `topo up` finds secret values, in this order, for each secretRef {name, key}:
//   1. the environment variable TOPO_SECRET_<NAME>_<KEY> (uppercase, other characters as `_`)
//   2. the file `<name>.env` beside the topology file, a line `<key>=<value>`
// Values only ever reach the 0600 env file in the state directory, never a compose file.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadSecretVariables } from "../config.ts";
import { UserError } from "../errors.ts";
import type { Topology } from "../api/topology.ts";
import { secretVariables } from "../render/compose/index.ts";

/** Parses KEY=VALUE lines (blank lines and # comments ignored; one pair of surrounding quotes removed). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0])
      value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

export function resolveSecrets(
  topology: Topology,
  topologyFile: string,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const dir = dirname(resolve(topologyFile));
  const files = new Map<string, Record<string, string> | undefined>();
  const fileOf = (secret: string) => {
    if (!files.has(secret)) {
      const p = join(dir, `${secret}.env`);
      files.set(secret, existsSync(p) ? parseEnvFile(readFileSync(p, "utf8")) : undefined);
    }
    return files.get(secret);
  };
  const values: Record<string, string> = {};
  const missing: string[] = [];
  const variables = secretVariables(topology);
  const fromEnv = loadSecretVariables(
    variables.map((v) => v.variable),
    env,
  );
  for (const v of variables) {
    const value = fromEnv[v.variable] ?? fileOf(v.secret)?.[v.key];
    if (value === undefined) {
      missing.push(
        `secret ${v.secret}/${v.key} (used by ${v.usedBy.map((u) => `${u.node}.${u.env}`).join(", ")}): set ${v.variable} or add "${v.key}=..." to ${join(dir, `${v.secret}.env`)}`,
      );
      continue;
    }
    if (/[\r\n]/.test(value))
      throw new UserError(
        `secret ${v.secret}/${v.key}: a value with a line break cannot be passed through an env file`,
      );
    values[v.variable] = value;
  }
  if (missing.length) throw new UserError(`missing secret values:\n  ${missing.join("\n  ")}`);
  return values;
}
