// The Docker engine and the Compose the machine has: `docker compose` (v2 plugin) or `docker-compose` (v1).
// TOPO_COMPOSE=v1|v2 forces one (the tests run both); TOPO_DOCKER names the docker binary.
import { spawn } from "node:child_process";
import { UserError } from "../errors.ts";
import { loadLocalConfig } from "../config.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output; never throws for a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => resolve({ code: 127, stdout, stderr: `${stderr}${err.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

export interface Compose {
  version: "v1" | "v2";
  /** The argv prefix: ["docker", "compose"] or ["docker-compose"]. */
  argv: string[];
  docker: string;
  /** Runs compose with the project options in front of `args`. */
  run(project: ProjectFiles, args: string[]): Promise<RunResult>;
}

export interface ProjectFiles {
  name: string;
  files: string[];
  envFile?: string;
}

function projectArgs(p: ProjectFiles): string[] {
  return [
    "-p",
    p.name,
    ...p.files.flatMap((f) => ["-f", f]),
    ...(p.envFile ? ["--env-file", p.envFile] : []),
  ];
}

/** Finds a Docker engine that answers and a Compose, or fails with one line saying how to get them. */
export async function detect(env: NodeJS.ProcessEnv = process.env): Promise<Compose> {
  const config = loadLocalConfig(env);
  const docker = config.TOPO_DOCKER;
  const info = await run(docker, ["info", "--format", "{{.ServerVersion}}"], { env });
  if (info.code === 127)
    throw new UserError(
      `no Docker CLI found (${docker}): install Docker (on Debian: apt-get install docker.io)`,
    );
  if (info.code !== 0)
    throw new UserError(
      `no Docker engine answers (${(info.stderr.trim().split("\n").at(-1) ?? "").trim()}): start it, e.g. \`sudo systemctl start docker\` (or hack/docker.sh up in this repository)`,
    );
  const want = config.TOPO_COMPOSE;
  const candidates: { version: "v1" | "v2"; argv: string[] }[] = [];
  if (want !== "v1") candidates.push({ version: "v2", argv: [docker, "compose"] });
  if (want !== "v2") candidates.push({ version: "v1", argv: ["docker-compose"] });
  for (const c of candidates) {
    const v = await run(c.argv[0]!, [...c.argv.slice(1), "version", "--short"], { env });
    if (v.code === 0)
      return {
        version: c.version,
        argv: c.argv,
        docker,
        run: (p, args) => run(c.argv[0]!, [...c.argv.slice(1), ...projectArgs(p), ...args], { env }),
      };
  }
  throw new UserError(
    want === "auto"
      ? "no Docker Compose found: install the compose plugin (`docker compose`) or docker-compose (on Debian: apt-get install docker-compose)"
      : `TOPO_COMPOSE=${want}, but ${want === "v1" ? "docker-compose" : "docker compose"} does not run`,
  );
}

export interface ContainerState {
  id: string;
  name: string;
  service: string;
  image: string;
  /** created, running, restarting, exited, dead, paused */
  status: string;
  exitCode: number;
  /** healthy, unhealthy, starting, or "" without a health check */
  health: string;
  startedAt: string;
  createdAt: string;
  /** How often the engine restarted it (restart policy). */
  restartCount: number;
  revision: string;
  /** The last health check's output, when it failed. */
  healthLog: string;
}

/** Every container of a Compose project (running or not), from the engine itself. */
export async function containers(docker: string, project: string): Promise<ContainerState[]> {
  const ids = await run(docker, [
    "ps",
    "-aq",
    "--no-trunc",
    "--filter",
    `label=com.docker.compose.project=${project}`,
  ]);
  const list = ids.stdout.split("\n").filter(Boolean);
  if (!list.length) return [];
  const inspected = await run(docker, ["inspect", ...list]);
  if (inspected.code !== 0) return [];
  type Inspect = {
    Id: string;
    Name: string;
    RestartCount?: number;
    Created: string;
    Config: { Image: string; Labels: Record<string, string> };
    State: {
      Status: string;
      ExitCode: number;
      StartedAt: string;
      Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] };
    };
  };
  return (JSON.parse(inspected.stdout) as Inspect[]).map((c) => {
    const log = c.State.Health?.Log ?? [];
    const failed = [...log].reverse().find((l) => l.ExitCode !== 0);
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ""),
      service: c.Config.Labels["com.docker.compose.service"] ?? "",
      image: c.Config.Image,
      status: c.State.Status,
      exitCode: c.State.ExitCode,
      health: c.State.Health?.Status ?? "",
      startedAt: c.State.StartedAt,
      createdAt: c.Created,
      restartCount: c.RestartCount ?? 0,
      revision: c.Config.Labels["topo.dev/revision"] ?? "",
      healthLog: failed?.Output.trim() ?? "",
    };
  });
}
