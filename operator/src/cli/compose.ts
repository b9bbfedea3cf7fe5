// `topo compose FILE [--out PATH]`: the docker-compose.yml for a topology, to stdout or a file.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { renderComposeYaml, secretVariables, SecretVariableConflictError } from "../render/compose/index.ts";
import { UsageError, UserError, type Command } from "./command.ts";
import { loadOrFail } from "./load.ts";

export const composeCommand: Command = {
  name: "compose",
  summary: "print a docker-compose.yml for the topology (secrets as ${TOPO_SECRET_*} variables)",
  usage: "topo compose FILE [--out PATH]",
  help: [
    "Options:",
    "  --out PATH   write the file to PATH instead of standard output",
    "",
    "Secret references become ${TOPO_SECRET_<SECRET>_<KEY>}; no secret value is written. Run it with",
    "  docker compose -p NAME -f docker-compose.yml --env-file secrets.env up -d",
    "With several topologies in FILE, standard output holds one YAML document per topology.",
    "",
  ].join("\n"),
  options: { out: { type: "string" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("compose takes exactly one FILE");
    if (values.out === "") throw new UsageError("--out needs a PATH");
    const out = typeof values.out === "string" ? values.out : undefined;
    const loaded = await loadOrFail(positionals, ctx);
    if (out && loaded.length > 1)
      throw new UserError(
        `${positionals[0]} holds ${loaded.length} topologies (${loaded.map((l) => l.topology.name).join(", ")}); --out writes one compose file, so split the file or use standard output`,
      );
    let documents: string[];
    try {
      documents = loaded.map(({ topology }) => renderComposeYaml(topology));
    } catch (err) {
      if (err instanceof SecretVariableConflictError) throw new UserError(err.message, { cause: err });
      throw err;
    }
    if (!out) {
      ctx.stdout.write(documents.join("---\n"));
      return 0;
    }
    try {
      await writeFile(resolve(ctx.cwd, out), documents[0]!);
    } catch (err) {
      throw new UserError(`${out}: ${(err as Error).message}`, { cause: err });
    }
    const vars = secretVariables(loaded[0]!.topology).map((v) => v.variable);
    ctx.stderr.write(
      `wrote ${out}${vars.length ? `; it reads ${vars.join(", ")} from the environment or --env-file` : ""}\n`,
    );
    return 0;
  },
};
