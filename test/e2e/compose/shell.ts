// Running a command from the repository root and collecting its output, for the Compose e2e tests.
import { spawn } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..", "..");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export const docker = (...args: string[]) => sh("docker", args);

/** The id of a Compose service's container in a project ("" when none); `all` finds a stopped one too. */
export async function containerId(
  project: string,
  service: string,
  o: { all?: boolean; run?: (...args: string[]) => Promise<Result> } = {},
): Promise<string> {
  const filters = [`label=com.docker.compose.project=${project}`, `label=com.docker.compose.service=${service}`];
  const ps = await (o.run ?? docker)("ps", o.all ? "-aq" : "-q", ...filters.flatMap((f) => ["--filter", f]));
  return ps.stdout.trim();
}
