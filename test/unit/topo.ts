// Runs `topo` in-process: main(argv, ctx) with captured streams, a given stdin and the repository as cwd.
import { main } from "../../operator/src/cli/main.ts";
import type { CommandContext } from "../../operator/src/cli/command.ts";
import { ROOT } from "./fixtures.ts";

export interface TopoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a user would see from `topo ARGS < input`, without starting a process. */
export async function topo(
  args: string[],
  input = "",
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<TopoRun> {
  let stdout = "";
  let stderr = "";
  const ctx: CommandContext = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? {},
    debug: false,
    readStdin: async () => input,
  };
  const code = await main(args, ctx);
  return { code, stdout, stderr };
}
