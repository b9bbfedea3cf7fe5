// What a command or the Compose runtime writes to and reads from: the process's streams and environment,
// passed in so tests run them in-process.

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface IoContext {
  stdout: Output;
  stderr: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
}
