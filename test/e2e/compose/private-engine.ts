// A Docker engine of a test's own (hack/docker.sh private): the shared engine runs everyone's tests, so
// a test that stops or restarts dockerd does it to this one. Its own data root, exec root, socket and
// bridge; the local images copied in from the shared engine.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { ROOT, sh, type Result } from "./shell.ts";

export { sh, type Result };
const SCRIPT = join(ROOT, "hack/docker.sh");

async function script(...args: string[]): Promise<string> {
  const r = await sh(SCRIPT, ["private", ...args]);
  if (r.code !== 0) throw new Error(`hack/docker.sh private ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout.trim();
}

export class PrivateEngine {
  /** Short, under /tmp: the engine's sockets live below it (a unix socket path has 108 bytes). */
  readonly dir: string;
  /** DOCKER_HOST of this engine. */
  readonly host: string;

  private constructor(dir: string, host: string) {
    this.dir = dir;
    this.host = host;
  }

  /** Starts a private engine with `images` (which the shared engine has) loaded into it. */
  static async start(images: string[]): Promise<PrivateEngine> {
    const dir = mkdtempSync("/tmp/topo-engine-");
    return new PrivateEngine(dir, await script("up", dir, ...images));
  }

  /** The environment of a process that talks to this engine only. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...extra, DOCKER_HOST: this.host };
  }

  docker(...args: string[]): Promise<Result> {
    return sh("docker", args, this.env());
  }

  /** SIGTERM to dockerd, as a service manager stops it, and wait until it is gone. */
  async stop(): Promise<void> {
    await script("stop", this.dir);
  }

  /** Starts dockerd again on the same data (after stop). */
  async restart(): Promise<void> {
    await script("up", this.dir);
  }

  /** Stops it and removes everything it had: containers, bridge, data. */
  async remove(): Promise<void> {
    await script("rm", this.dir);
  }
}
