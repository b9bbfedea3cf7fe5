// `topo validate FILE...`: every mistake in every file, as FILE:LINE:COL: path: reason.
import { UsageError, type Command } from "./command.ts";
import { formatDiagnostic, loadTopologies } from "./load.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "parse and validate topology files; print every error as FILE:LINE:COL: path: reason",
  usage: "topo validate FILE... [-q] [--portability [--strict]]",
  help: [
    "Options:",
    "  -q, --quiet     print errors only, not warnings",
    "  --portability   list, per node and field, what Kubernetes and Compose carry exactly, approximate or",
    "                  cannot carry, as FILE:LINE:COL lines",
    "  --strict        with --portability: a field either target does not carry exactly is an error (exit 1)",
    "",
  ].join("\n"),
  options: {
    quiet: { type: "boolean", short: "q" },
    portability: { type: "boolean" },
    strict: { type: "boolean" },
  },
  async run({ positionals, values }, ctx) {
    if (positionals.length === 0) throw new UsageError("validate needs at least one FILE");
    if (values.strict && !values.portability) throw new UsageError("--strict goes with --portability");
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
    if (!values.portability) return 0;
    // The report renders both targets: loaded only when asked for.
    const { countCarry, formatPortability, locatedPortability } = await import("./portability.ts");
    let inexact = 0;
    for (const t of topologies) {
      ctx.stdout.write(formatPortability(t));
      const c = countCarry(locatedPortability(t));
      inexact += c.approximate + c.none;
    }
    if (values.strict && inexact > 0) {
      ctx.stderr.write(
        `--strict: ${inexact} field${inexact === 1 ? " is" : "s are"} not carried exactly by both targets\n`,
      );
      return 1;
    }
    return 0;
  },
};
