// The portability report as `topo validate --portability` and `topo plan` print it: FILE:LINE:COL per field a
// target does not carry exactly, the fields both carry exactly in one line per node, and the counts.
import {
  describeCarry,
  inexact,
  portabilityOf,
  type Carry,
  type PortabilityItem,
  type PortabilityTarget,
} from "../plan/portability.ts";
import type { LoadedTopology } from "./load.ts";

const TARGETS: PortabilityTarget[] = ["kube", "compose"];

export interface LocatedItem extends PortabilityItem {
  line: number;
  col: number;
}

export function locatedPortability(loaded: LoadedTopology): LocatedItem[] {
  return portabilityOf(loaded.topology).map((item) => ({ ...item, ...loaded.locate(item.path) }));
}

/** How many fields each kind of carry covers, over both targets: exact means exact on both. */
export function countCarry(items: readonly PortabilityItem[]): Record<Carry, number> {
  const worst = (i: PortabilityItem): Carry =>
    i.kube.carry === "none" || i.compose.carry === "none"
      ? "none"
      : i.kube.carry === "approximate" || i.compose.carry === "approximate"
        ? "approximate"
        : "exact";
  const counts: Record<Carry, number> = { exact: 0, approximate: 0, none: 0 };
  for (const i of items) counts[worst(i)]++;
  return counts;
}

/** `node a` or `nodes a, b, c` (the nodes a generator made share one position). */
const whose = (nodes: string[]) =>
  nodes[0] === "" ? "" : `${nodes.length === 1 ? "node" : "nodes"} ${nodes.join(", ")}: `;

/**
 * One line per field a target does not carry exactly, in the order of the file; the nodes that share the
 * position and the reason (a generator's, spec.defaults') share the line.
 */
export function inexactLines(
  file: string,
  items: readonly LocatedItem[],
  targets: readonly PortabilityTarget[] = TARGETS,
): string[] {
  const groups = new Map<string, { item: LocatedItem; text: string; nodes: string[] }>();
  for (const t of targets)
    for (const item of inexact(items, t)) {
      const text = describeCarry(item, t);
      const key = `${item.line}:${item.col}:${text}`;
      const g = groups.get(key);
      if (g) g.nodes.push(item.node);
      else groups.set(key, { item, text, nodes: [item.node] });
    }
  return [...groups.values()]
    .sort((a, b) => a.item.line - b.item.line || a.item.col - b.item.col)
    .map((g) => `${file}:${g.item.line}:${g.item.col}: ${whose(g.nodes)}${g.text}`);
}

export function formatPortability(loaded: LoadedTopology): string {
  const items = locatedPortability(loaded);
  const exact = new Map<string, string[]>();
  for (const i of items)
    if (i.node && i.kube.carry === "exact" && i.compose.carry === "exact")
      exact.set(i.node, [...(exact.get(i.node) ?? []), i.field]);
  const sameFields = new Map<string, string[]>();
  for (const [node, fields] of exact) {
    const key = fields.join(", ");
    sameFields.set(key, [...(sameFields.get(key) ?? []), node]);
  }
  const c = countCarry(items);
  return [
    `${loaded.file}: what Kubernetes and Compose carry of topology ${loaded.topology.name}`,
    ...inexactLines(loaded.file, items),
    ...[...sameFields].map(([fields, nodes]) => `exact on both targets: ${whose(nodes)}${fields}`),
    `${c.exact} fields exact on both targets, ${c.approximate} approximated, ${c.none} not carried by one of them`,
    "",
  ].join("\n");
}
