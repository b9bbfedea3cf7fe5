// The failures every layer can raise and the CLI maps to exit codes: below cli/, local/ and config.ts, so
// no layer imports upward to name them.

/** A mistake in how a command was called: exit 2 with the usage line. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure the user can act on: printed as one message, exit 1 (or `exitCode`), no stack trace. */
export class UserError extends Error {
  override name = "UserError";
  readonly exitCode: number;
  constructor(message: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** An environment variable with a bad value: one line naming it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
