// Prints a graph as JSON, Graphviz DOT or Mermaid, for `topo graph` (pure).
import type { Graph } from "./graph.ts";

export type GraphFormat = "json" | "dot" | "mermaid";

const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

export function formatDot(graph: Graph): string {
  const lines = [`digraph ${quote(graph.topology)} {`, "  rankdir=LR;", "  node [shape=box, style=rounded];"];
  graph.layers.forEach((names, i) => {
    lines.push(`  subgraph ${quote(`layer_${i}`)} { rank=same; ${names.map(quote).join("; ")}; }`);
  });
  for (const n of graph.nodes)
    lines.push(`  ${quote(n.name)} [label=${quote(`${n.name}\\n${n.image} x${n.replicas}`)}];`);
  for (const e of graph.edges) {
    lines.push(
      `  ${quote(e.from)} -> ${quote(e.to)}${e.kind === "dependsOn" ? ' [style=bold, label="dependsOn"]' : ""};`,
    );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Mermaid ids allow letters, digits, '_' and '-'; node names are DNS labels, so they fit. */
export function formatMermaid(graph: Graph): string {
  const lines = ["flowchart LR"];
  for (const n of graph.nodes)
    lines.push(`  ${n.name}["${n.name}<br/>${n.image.replace(/"/g, "#quot;")} x${n.replicas}"]`);
  for (const e of graph.edges)
    lines.push(e.kind === "dependsOn" ? `  ${e.from} ==>|dependsOn| ${e.to}` : `  ${e.from} --> ${e.to}`);
  return `${lines.join("\n")}\n`;
}

export function formatGraph(graph: Graph, format: GraphFormat): string {
  if (format === "dot") return formatDot(graph);
  if (format === "mermaid") return formatMermaid(graph);
  return `${JSON.stringify(graph, null, 2)}\n`;
}
