// `topo graph FILE [-o dot|mermaid|json]`: the expanded graph, generators applied.
import { formatGraph, type GraphFormat } from "../graph/format.ts";
import { buildGraph } from "../graph/graph.ts";
import { UsageError, type Command } from "./command.ts";
import { loadOrFail } from "./load.ts";
import { outputFormat } from "./output.ts";

export const graphCommand: Command = {
  name: "graph",
  summary: "print the expanded graph (generators applied) as JSON, DOT or Mermaid",
  usage: "topo graph FILE [-o json|dot|mermaid]",
  help: "Options:\n  -o, --output FORMAT   json (default), dot (Graphviz) or mermaid\n\nExample:\n  topo graph examples/connector-lab.yaml -o dot | dot -Tsvg > lab.svg\n",
  options: { output: { type: "string", short: "o" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("graph takes exactly one FILE");
    const format = outputFormat(values.output, ["json", "dot", "mermaid"], "json") as GraphFormat;
    for (const { topology } of await loadOrFail(positionals, ctx))
      ctx.stdout.write(formatGraph(buildGraph(topology), format));
    return 0;
  },
};
