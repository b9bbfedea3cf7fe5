// Secret references in Compose: each becomes a ${TOPO_SECRET_*} interpolation, so no value is ever written (pure).
import type { SecretRef } from "../../api/schema.ts";
import type { Topology } from "../../api/topology.ts";

/** Two different secret keys that would share one variable: rendering them would silently swap values. */
export class SecretVariableConflictError extends Error {
  override name = "SecretVariableConflictError";
}

export interface SecretVariable {
  /** The environment variable Compose interpolates, e.g. TOPO_SECRET_DB_SECRETS_PASSWORD. */
  variable: string;
  secret: string;
  key: string;
  /** Where it is used: node and environment variable name, in declaration order. */
  usedBy: { node: string; env: string }[];
}

const upper = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "_");

/** TOPO_SECRET_<SECRETNAME>_<KEY>: uppercase, every other character than a letter or digit becomes `_`. */
export function secretVariableName(ref: SecretRef): string {
  return `TOPO_SECRET_${upper(ref.name)}_${upper(ref.key)}`;
}

/**
 * Every variable a topology's compose file needs, sorted by variable name. Throws SecretVariableConflictError
 * when two different (secret, key) pairs map to the same variable.
 */
export function secretVariables(topology: Topology): SecretVariable[] {
  const byVariable = new Map<string, SecretVariable>();
  for (const node of topology.nodes) {
    for (const e of node.env) {
      if (!e.secretRef) continue;
      const variable = secretVariableName(e.secretRef);
      const seen = byVariable.get(variable);
      if (seen && (seen.secret !== e.secretRef.name || seen.key !== e.secretRef.key))
        throw new SecretVariableConflictError(
          `secret ${e.secretRef.name}/${e.secretRef.key} and secret ${seen.secret}/${seen.key} both become ${variable} in compose; rename one`,
        );
      const entry = seen ?? { variable, secret: e.secretRef.name, key: e.secretRef.key, usedBy: [] };
      entry.usedBy.push({ node: node.name, env: e.name });
      byVariable.set(variable, entry);
    }
  }
  return [...byVariable.values()].sort((a, b) => (a.variable < b.variable ? -1 : a.variable > b.variable ? 1 : 0));
}

/** An env file template: every secret variable with an empty value and a comment saying what it holds. */
export function formatEnvExample(topology: Topology): string {
  const vars = secretVariables(topology);
  const lines = [
    `# Secrets for the compose file of topology "${topology.name}". Copy to a file only you can read`,
    "# (chmod 600), fill in the values and pass it with `docker compose --env-file FILE` (topo up does this).",
  ];
  if (vars.length === 0) lines.push("# This topology references no secrets.");
  for (const v of vars) {
    const uses = v.usedBy.map((u) => `${u.node}.${u.env}`).join(", ");
    lines.push("", `# secret ${v.secret}, key ${v.key}; used by ${uses}`, `${v.variable}=`);
  }
  return `${lines.join("\n")}\n`;
}
