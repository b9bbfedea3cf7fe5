// Where `topo up` finds secret values, in this order, for each secretRef {name, key}:
//   1. the environment variable TOPO_SECRET_<NAME>_<KEY> (uppercase, other characters as `_`)
//   2. the file `<name>.env` beside the topology file, a line `<key>=<value>`
// Values only ever reach the 0600 env file in the state directory, or a secret file under its 0700 secrets/
// directory, never a compose file.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadSecretVariables } from "../config.ts";
import { UserError } from "../errors.ts";
import type { Topology } from "../api/topology.ts";
import { nodeFiles, secretVariableName, secretVariables } from "../render/compose/index.ts";

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

/**
 * The value of each secret file of the topology (secrets/<node>/<key> under the state directory, with its
 * mode), found as an environment secret is: TOPO_SECRET_<NAME>_<KEY>, then `<name>.env` beside the file. A
 * value may span lines (a certificate): it never passes through an env file.
 */
export function resolveSecretFiles(
  topology: Topology,
  topologyFile: string,
  env: NodeJS.ProcessEnv,
): { file: string; value: string; mode: number }[] {
  const dir = dirname(resolve(topologyFile));
  const files = topology.nodes.flatMap(nodeFiles).filter((f) => f.secretRef);
  const fromEnv = loadSecretVariables(
    files.map((f) => secretVariableName(f.secretRef!)),
    env,
  );
  const envFiles = new Map<string, Record<string, string> | undefined>();
  const missing: string[] = [];
  const out: { file: string; value: string; mode: number }[] = [];
  for (const f of files) {
    const { name, key } = f.secretRef!;
    const variable = secretVariableName(f.secretRef!);
    const path = join(dir, `${name}.env`);
    if (!envFiles.has(name))
      envFiles.set(name, existsSync(path) ? parseEnvFile(readFileSync(path, "utf8")) : undefined);
    const value = fromEnv[variable] ?? envFiles.get(name)?.[key];
    if (value === undefined)
      missing.push(
        `secret ${name}/${key} (file ${f.target} of ${f.node}): set ${variable} or add "${key}=..." to ${path}`,
      );
    else out.push({ file: f.file, value, mode: f.mode });
  }
  if (missing.length) throw new UserError(`missing secret values:\n  ${missing.join("\n  ")}`);
  return out;
}
