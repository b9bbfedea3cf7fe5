// The first topology's detail, asked for before the page's main module (and cytoscape) has loaded.
import { api } from "./api.ts";
import type { TopologyDetail } from "../../types.ts";

/** The route in the hash: #/<namespace>/<name>[/<node>]. */
export function route(): { key?: string; node?: string } {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return parts.length >= 2 ? { key: `${parts[0]}/${parts[1]}`, ...(parts[2] ? { node: parts[2] } : {}) } : {};
}

let early: { key: string; detail: Promise<TopologyDetail> } | undefined;

/** Starts fetching the topology the address names, as the page first draws it (every group closed). */
export function prefetch(): void {
  const { key } = route();
  if (!key) return;
  const [ns, name] = key.split("/") as [string, string];
  performance.mark("topo:fetch");
  early = { key, detail: api.grouped(ns, name, []) };
  early.detail.catch(() => undefined); // taken, and its failure handled, by the first load
}

/** The prefetched answer for `key` with every group closed, once; otherwise undefined. */
export function takePrefetched(key: string, open: readonly string[]): Promise<TopologyDetail> | undefined {
  const e = early;
  early = undefined;
  return e && e.key === key && !open.length ? e.detail : undefined;
}
