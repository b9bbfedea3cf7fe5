// REST paths of any kind, by apiVersion and kind. The resource name is guessed from the kind as
// client-go's meta.UnsafeGuessKindToResource does (lower case; `s` -> `ses`; a `y` after a consonant -> `ies`);
// which holds for every built-in kind this project touches and for the Topology CRD (plural `topologies`).

export interface ResourceRef {
  apiVersion: string;
  kind: string;
}

/** The plural resource name of a kind (`NetworkPolicy` -> `networkpolicies`). */
export function guessResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith("s")) return `${lower}es`;
  if (lower.endsWith("y") && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** `/api/v1/...` for the core group, `/apis/<group>/<version>/...` for the others. */
export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${guessResource(kind)}${name ? `/${name}` : ""}`;
}
