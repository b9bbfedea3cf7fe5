// The state directory of a topology on one machine: `.topo/<topology>/` beside the topology file (or under
// TOPO_STATE_DIR). It keeps the compose file of every revision it deployed, so a rollback needs nothing but
// the disk and the images already on the machine, and the secrets env file with mode 0600.
//   revisions/<n>/docker-compose.yml   what revision n ran (no secret values)
//   secrets.env                        TOPO_SECRET_* values for --env-file (0600)
//   state.json                         revision, lastGoodRevision, history
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadLocalConfig } from "../config.ts";

export interface HistoryEntry {
  revision: number;
  hash: string;
  outcome: "Succeeded" | "Failed" | "RolledBack" | "Progressing";
  at: string;
  reason?: string;
}

export interface LocalState {
  topology: string;
  file: string;
  revision: number;
  lastGoodRevision?: number;
  history: HistoryEntry[];
}

export function stateDir(
  topologyFile: string,
  topology: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const dir = loadLocalConfig(env).TOPO_STATE_DIR;
  const base = dir ? resolve(dir) : join(dirname(resolve(topologyFile)), ".topo");
  return join(base, topology);
}

export const hashOf = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);

export class StateStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  read(): LocalState | undefined {
    const p = join(this.dir, "state.json");
    return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as LocalState) : undefined;
  }

  write(state: LocalState, historyLimit: number): void {
    mkdirSync(this.dir, { recursive: true });
    const history = state.history.slice(-historyLimit);
    writeFileSync(join(this.dir, "state.json"), `${JSON.stringify({ ...state, history }, null, 2)}\n`);
    // Revisions that fell out of the history are removed, except the last good one.
    const keep = new Set([...history.map((h) => h.revision), state.lastGoodRevision, state.revision]);
    for (const r of this.revisions())
      if (!keep.has(r)) rmSync(this.revisionDir(r), { recursive: true, force: true });
  }

  revisions(): number[] {
    const d = join(this.dir, "revisions");
    return existsSync(d)
      ? readdirSync(d)
          .map(Number)
          .filter((n) => Number.isInteger(n))
          .sort((a, b) => a - b)
      : [];
  }

  revisionDir(revision: number): string {
    return join(this.dir, "revisions", String(revision));
  }

  composeFile(revision: number): string {
    return join(this.revisionDir(revision), "docker-compose.yml");
  }

  writeRevision(revision: number, compose: string): string {
    mkdirSync(this.revisionDir(revision), { recursive: true });
    const file = this.composeFile(revision);
    writeFileSync(file, compose);
    return file;
  }

  /** The env file Compose interpolates secrets from: created with mode 0600, never world-readable. */
  writeSecrets(values: Record<string, string>): string {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, "secrets.env");
    const body = Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    writeFileSync(file, body ? `${body}\n` : "", { mode: 0o600 });
    chmodSync(file, 0o600);
    return file;
  }
}
