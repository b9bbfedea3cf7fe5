// The oldest Node.js `topo` runs on (package.json's engines says the same). This module must stay free of
// imports: bin.ts loads it on whatever Node the user has, before anything that needs a newer one.

export const MIN_NODE_MAJOR = 24;

/** Whether a Node.js version such as "20.20.2" is older than MIN_NODE_MAJOR. */
export function nodeTooOld(version: string): boolean {
  return Number(version.split(".")[0]) < MIN_NODE_MAJOR;
}
