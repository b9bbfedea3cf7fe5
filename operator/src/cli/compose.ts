// `topo compose FILE [--out PATH]`: the docker-compose.yml for a topology, to stdout or a file.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { loadLocalConfig } from "../local-config.ts";
import type { Topology } from "../api/topology.ts";
import {
  filesToWrite,
  renderComposeYaml,
  secretVariables,
  SecretVariableConflictError,
} from "../render/compose/index.ts";
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
    "A node's files: --out also writes each content file, with its mode, under files/ beside PATH (Compose",
    "v2 mounts it as a config; with TOPO_COMPOSE=v1, docker-compose 1.29 as a read-only bind), and makes",
    "secrets/ (mode 0700) for the secret files, whose values you write there: secrets/<node>/<key>.",
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
    // Compose reads a build context relative to the compose file: from FILE's directory to --out's (or
    // the working directory, for standard output).
    const outDir = out ? dirname(resolve(ctx.cwd, out)) : ctx.cwd;
    const rebase = (file: string, topology: Topology): Topology => ({
      ...topology,
      nodes: topology.nodes.map((n) =>
        n.build
          ? {
              ...n,
              build: {
                ...n.build,
                context: relative(outDir, resolve(ctx.cwd, dirname(file), n.build.context)) || ".",
              },
            }
          : n,
      ),
    });
    let documents: string[];
    try {
      const compose = loadLocalConfig(ctx.env).TOPO_COMPOSE === "v1" ? "v1" : "v2";
      documents = loaded.map(({ file, topology }) => renderComposeYaml(rebase(file, topology), { compose }));
    } catch (err) {
      if (err instanceof SecretVariableConflictError) throw new UserError(err.message, { cause: err });
      throw err;
    }
    if (!out) {
      ctx.stdout.write(documents.join("---\n"));
      const files = loaded.flatMap(({ topology }) => filesToWrite(topology));
      if (files.length)
        ctx.stderr.write(
          `the compose file names ${files.length} file${files.length > 1 ? "s" : ""} under ./files and ./secrets: --out PATH writes them beside PATH\n`,
        );
      return 0;
    }
    const topology = loaded[0]!.topology;
    let secretFiles: string[];
    try {
      await writeFile(resolve(ctx.cwd, out), documents[0]!);
      secretFiles = await writeFilesBeside(resolve(ctx.cwd, out), topology);
    } catch (err) {
      throw new UserError(`${out}: ${(err as Error).message}`, { cause: err });
    }
    const vars = secretVariables(topology).map((v) => v.variable);
    ctx.stderr.write(
      `wrote ${out}${vars.length ? `; it reads ${vars.join(", ")} from the environment or --env-file` : ""}\n`,
    );
    if (secretFiles.length)
      ctx.stderr.write(
        `write the value of each secret file before starting it:\n  ${secretFiles.join("\n  ")}\n`,
      );
    return 0;
  },
};

/**
 * The content files under files/ beside the compose file, each with its mode, and secrets/ (0700) for the
 * secret files, whose values `topo compose` never knows: returns what to write there (path: secret/key).
 */
async function writeFilesBeside(composeFile: string, topology: Topology): Promise<string[]> {
  const dir = dirname(composeFile);
  const todo: string[] = [];
  for (const f of filesToWrite(topology)) {
    if (f.secretRef) {
      const path = join(dir, "secrets", f.file);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await chmod(join(dir, "secrets"), 0o700);
      todo.push(
        `${join("secrets", f.file)}: secret ${f.secretRef.name}, key ${f.secretRef.key} (mode ${f.mode.toString(8).padStart(4, "0")})`,
      );
      continue;
    }
    const path = join(dir, "files", f.file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.content!);
    await chmod(path, f.mode);
  }
  return todo;
}
