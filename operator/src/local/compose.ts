// The Compose the machine has: `docker compose` (v2 plugin) or `docker-compose` (v1), beside an engine that
// answers. TOPO_COMPOSE=v1|v2 forces one (the tests run both); TOPO_DOCKER names the docker binary.
import { UserError } from "../errors.ts";
import { loadLocalConfig } from "../local-config.ts";
import { Docker, lastLine, run, type RunResult } from "./docker.ts";

export interface ProjectFiles {
  name: string;
  files: string[];
  envFile?: string;
  /** Where relative paths resolve (and .env is read); by default the first file's directory. */
  projectDirectory?: string;
}

export interface Compose {
  version: "v1" | "v2";
  /** The argv prefix: ["docker", "compose"] or ["docker-compose"]. */
  argv: string[];
  docker: Docker;
  /** The argv of compose with the project options in front of `args`. */
  command(project: ProjectFiles, args: string[]): string[];
  /** Runs compose with the project options in front of `args`. */
  run(project: ProjectFiles, args: string[]): Promise<RunResult>;
}

function projectArgs(p: ProjectFiles): string[] {
  return [
    "-p",
    p.name,
    ...p.files.flatMap((f) => ["-f", f]),
    ...(p.envFile ? ["--env-file", p.envFile] : []),
    ...(p.projectDirectory ? ["--project-directory", p.projectDirectory] : []),
  ];
}

/** Finds a Docker engine that answers and a Compose, or fails with one line saying how to get them. */
export async function detect(env: NodeJS.ProcessEnv = process.env): Promise<Compose> {
  const config = loadLocalConfig(env);
  const docker = new Docker({ docker: config.TOPO_DOCKER, env });
  const info = await docker.info();
  if (!info.ok && info.code === 127)
    throw new UserError(
      `no Docker CLI found (${docker.bin}): install Docker (on Debian: apt-get install docker.io)`,
    );
  if (!info.ok)
    throw new UserError(
      `no Docker engine answers (${info.reason}): start it, e.g. \`sudo systemctl start docker\` (or hack/docker.sh up in this repository)`,
    );
  const want = config.TOPO_COMPOSE;
  const candidates: { version: "v1" | "v2"; argv: string[] }[] = [];
  if (want !== "v1") candidates.push({ version: "v2", argv: [docker.bin, "compose"] });
  if (want !== "v2") candidates.push({ version: "v1", argv: ["docker-compose"] });
  let why = "";
  for (const c of candidates) {
    const v = await run(c.argv[0]!, [...c.argv.slice(1), "version", "--short"], { env });
    if (v.code !== 0) {
      why = lastLine(v.stderr);
      continue;
    }
    const command = (p: ProjectFiles, args: string[]) => [...c.argv, ...projectArgs(p), ...args];
    return {
      version: c.version,
      argv: c.argv,
      docker,
      command,
      run: (p, args) => {
        const [cmd, ...rest] = command(p, args);
        return run(cmd!, rest, { env });
      },
    };
  }
  throw new UserError(
    want === "auto"
      ? "no Docker Compose found: install the compose plugin (`docker compose`) or docker-compose (on Debian: apt-get install docker-compose)"
      : `TOPO_COMPOSE=${want}, but ${want === "v1" ? "docker-compose" : "docker compose"} does not run${why ? ` (${why})` : ""}`,
  );
}
