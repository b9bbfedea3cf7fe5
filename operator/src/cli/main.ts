// Parses argv, dispatches to a command, and maps failures to exit codes: 0 ok, 1 failed, 2 usage.
import { parseArgs } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { commands, type CommandEntry } from "./commands.ts";
import { ConfigError, UsageError, UserError } from "../errors.ts";
import type { Command, CommandContext } from "./command.ts";

/**
 * The package's version, from the package.json above this file: three levels up in the source tree, four
 * in dist/ (the built file is dist/operator/src/cli/main.js), the same in an installed package.
 */
export function version(): string {
  for (let dir = new URL(".", import.meta.url); ;) {
    const file = new URL("package.json", dir);
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "topo" && pkg.version) return pkg.version;
    }
    const parent = new URL("..", dir);
    if (parent.href === dir.href) throw new Error("topo: no package.json above the program");
    dir = parent;
  }
}

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "topo — describe a multi-service application as a topology; run it on Kubernetes or Docker Compose",
    "",
    "Usage: topo COMMAND [ARGS] [--debug]",
    "",
    "Commands:",
    ...lines,
    "",
    "FILE may be - for standard input. Run `topo COMMAND --help` for a command's options.",
    "Exit codes: 0 success, 1 failure (invalid input, failed rollout), 2 usage error.",
    "",
  ].join("\n");
}

function commandHelp(cmd: Command): string {
  return [`Usage: ${cmd.usage}`, "", cmd.summary, ...(cmd.help ? ["", cmd.help.trimEnd()] : []), ""].join(
    "\n",
  );
}

/** The registry entry of the command `argv` runs, if it names one. */
export function commandOf(argv: readonly string[]): CommandEntry | undefined {
  const name = argv.find((a) => a !== "--debug");
  return commands.find((c) => c.name === name);
}

export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((a) => a !== "--debug");
  ctx.debug = debug;
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? ctx.stderr : ctx.stdout).write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    ctx.stdout.write(`topo ${version()}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  let cmd: Command | undefined;
  try {
    if (!entry) throw new UsageError(`unknown command "${name}"`);
    cmd = await entry.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      ctx.stdout.write(commandHelp(cmd));
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message.split("\n")[0]!, { cause: err });
    }
    return await cmd.run({ positionals: parsed.positionals, values: parsed.values }, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr.write(`topo: ${err.message}\n${cmd ? `Usage: ${cmd.usage}\n` : overview()}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      ctx.stderr.write(`topo: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UserError) {
      ctx.stderr.write(`topo: ${err.message}\n`);
      if (debug && err.cause) ctx.stderr.write(`${(err.cause as Error).stack ?? String(err.cause)}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    ctx.stderr.write(`topo: ${e?.message ?? String(err)}\n`);
    if (debug) ctx.stderr.write(`${e?.stack ?? ""}\n`);
    else ctx.stderr.write("(run again with --debug for the stack trace)\n");
    return 1;
  }
}

/** The process's own context: real streams, real stdin. */
export function processContext(): CommandContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    debug: false,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}
