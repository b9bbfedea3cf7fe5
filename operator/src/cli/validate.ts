// `topo validate FILE...`: every mistake in every file, as FILE:LINE:COL: path: reason.
import { UsageError, type Command } from "./command.ts";
import { formatDiagnostic, loadTopologies } from "./load.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "parse and validate topology files; print every error as FILE:LINE:COL: path: reason",
  usage: "topo validate FILE... [-q]",
  help: "Options:\n  -q, --quiet   print errors only, not warnings\n",
  options: { quiet: { type: "boolean", short: "q" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length === 0) throw new UsageError("validate needs at least one FILE");
    const { topologies, diagnostics } = await loadTopologies(positionals, ctx);
    for (const d of diagnostics)
      if (!values.quiet || d.severity === "error") ctx.stderr.write(`${formatDiagnostic(d)}\n`);
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    if (errors > 0) {
      ctx.stderr.write(`${errors} error${errors === 1 ? "" : "s"}\n`);
      return 1;
    }
    for (const t of topologies)
      ctx.stdout.write(
        `${t.file}: topology "${t.topology.name}" is valid (${t.topology.nodes.length} nodes)\n`,
      );
    return 0;
  },
};
