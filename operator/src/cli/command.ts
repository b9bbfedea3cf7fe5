// The shape every `topo` subcommand has, and the two kinds of failure the CLI maps to exit codes.
import type { ParseArgsConfig } from "node:util";

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CommandContext {
  stdout: Output;
  stderr: Output;
  /** Reads all of standard input (for FILE "-"). */
  readStdin(): Promise<string>;
  cwd: string;
  env: NodeJS.ProcessEnv;
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

/** A mistake in how the command was called: exit 2 with the usage line. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure the user can act on: printed as one message, exit 1, no stack trace. */
export class UserError extends Error {
  override name = "UserError";
  readonly exitCode: number;
  constructor(message: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.exitCode = options?.exitCode ?? 1;
  }
}
