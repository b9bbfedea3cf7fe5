// The shape every `topo` subcommand has; the failures it maps to exit codes live in ../errors.ts.
import type { ParseArgsConfig } from "node:util";
import type { IoContext } from "../io.ts";

export type { Output } from "../io.ts";
export { UsageError, UserError } from "../errors.ts";

export interface CommandContext extends IoContext {
  /** Reads all of standard input (for FILE "-"). */
  readStdin(): Promise<string>;
  debug: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

export interface Command {
  name: string;
  summary: string;
  /** e.g. "topo render FILE [-o yaml|json]" */
  usage: string;
  /** Extra lines for --help: options and examples. */
  help?: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Returns the exit code; throws UsageError (exit 2) or UserError (exit 1). */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}
