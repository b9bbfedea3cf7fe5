// Prints a graph as JSON, Graphviz DOT or Mermaid, for `topo graph` (pure).
import type { Graph } from "./graph.ts";

export type GraphFormat = "json" | "dot" | "mermaid";

// A line break in a label is DOT's \n escape.
const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

export function formatDot(graph: Graph): string {
  const lines = [`digraph ${quote(graph.topology)} {`, "  rankdir=LR;", "  node [shape=box, style=rounded];"];
  graph.layers.forEach((names, i) => {
    lines.push(`  subgraph ${quote(`layer_${i}`)} { rank=same; ${names.map(quote).join("; ")}; }`);
  });
  // A task is drawn as a different shape, and says so: it runs once, it does not serve.
  for (const n of graph.nodes)
    lines.push(
      n.task
        ? `  ${quote(n.name)} [shape=cds, style="", label=${quote(`${n.name}\n${n.image} (task)`)}];`
        : `  ${quote(n.name)} [label=${quote(`${n.name}\n${n.image} x${n.replicas}`)}];`,
    );
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
  // A task is a subroutine box: [[...]].
  for (const n of graph.nodes) {
    const image = n.image.replace(/"/g, "#quot;");
    lines.push(
      n.task
        ? `  ${n.name}[["${n.name}<br/>${image} (task)"]]`
        : `  ${n.name}["${n.name}<br/>${image} x${n.replicas}"]`,
    );
  }
  for (const e of graph.edges)
    lines.push(e.kind === "dependsOn" ? `  ${e.from} ==>|dependsOn| ${e.to}` : `  ${e.from} --> ${e.to}`);
  return `${lines.join("\n")}\n`;
}

export function formatGraph(graph: Graph, format: GraphFormat): string {
  if (format === "dot") return formatDot(graph);
  if (format === "mermaid") return formatMermaid(graph);
  return `${JSON.stringify(graph, null, 2)}\n`;
}
