// `topo up FILE --watch`: after the first `topo up`, each change to a build context (as .dockerignore
// leaves it) or to FILE itself runs `topo up` again, debounced: the changed node is built and rolled
// forward with the same health gating and rollback. A failed round is printed and watching goes on.
// Node 24's fs.watch is recursive on Linux, macOS and Windows, so no watcher library is needed. Ctrl-C
// (SIGINT) stops watching after the round in flight and leaves the project running.
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import dockerignoreModule from "@balena/dockerignore";
import type { Topology } from "../api/topology.ts";
import { UserError } from "../errors.ts";
import type { IoContext } from "../io.ts";
import { baseDirOf } from "./build.ts";

const dockerignore = dockerignoreModule.default;

export interface WatchOptions {
  ctx: IoContext;
  file: string;
  /** Reads FILE again (it may have changed); throws a UserError when it is not valid. */
  load: () => Promise<Topology>;
  /** One `topo up` round; throws a UserError when it fails. */
  up: (topology: Topology) => Promise<number>;
  /** Quiet time after the last change before a round starts; default 300 ms. */
  debounceMs?: number;
  /** Stops watching (tests); SIGINT does too. */
  signal?: AbortSignal;
  /** Paths whose changes are Topo's own writes (the state directory): never a change. */
  ignore?: string[];
}

const toPosix = (p: string) => p.split(sep).join("/");

/** A context's .dockerignore as a predicate over paths relative to it (read at each round). */
function ignoredIn(context: string): (rel: string) => boolean {
  let patterns: string[] = [];
  try {
    patterns = readFileSync(join(context, ".dockerignore"), "utf8").split(/\r?\n/);
  } catch {
    // none
  }
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  return (rel) => rel !== "" && ig.ignores(rel);
}

/** The directories to watch: every build context of the topology, absolute, without repeats. */
export function contextsOf(topology: Topology, file: string): string[] {
  const base = baseDirOf(file);
  return [...new Set(topology.nodes.flatMap((n) => (n.build ? [resolve(base, n.build.context)] : [])))];
}

export async function watchAndUp(opts: WatchOptions): Promise<number> {
  const { ctx, file, debounceMs = 300 } = opts;
  const say = (line: string) => ctx.stderr.write(`${line}\n`);
  const own = (opts.ignore ?? []).map((p) => resolve(p));
  const topologyFile = resolve(file);
  let watchers: FSWatcher[] = [];
  let watched = "";
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let changed = new Set<string>();

  const round = async (): Promise<void> => {
    let topology: Topology;
    try {
      topology = await opts.load();
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      say(`topo: ${err.message}; waiting for the next change`);
      return;
    }
    rewatch(topology);
    try {
      await opts.up(topology);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      say(`topo: ${err.message}`);
    }
  };

  const watching = () => say(`watching for changes (Ctrl-C stops watching; the project keeps running)`);
  const start = () => {
    running = round().finally(() => {
      running = undefined;
      if (stopped) return;
      if (again) {
        again = false;
        fire();
      } else watching();
    });
  };
  const fire = () => {
    const what = [...changed].slice(0, 3).join(", ");
    changed = new Set();
    say(`change in ${what || file}: topo up ${file}`);
    start();
  };
  const trigger = () => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running) again = true;
      else fire();
    }, debounceMs);
  };

  const rewatch = (topology: Topology) => {
    const dirs = contextsOf(topology, file);
    const key = [...dirs, topologyFile].join("\0");
    if (key === watched) return;
    for (const w of watchers) w.close();
    watched = key;
    watchers = [];
    for (const dir of dirs) {
      const ignored = ignoredIn(dir);
      try {
        watchers.push(
          watch(dir, { recursive: true }, (_event, name) => {
            if (name === null) return trigger();
            const abs = join(dir, name);
            if (own.some((p) => abs === p || abs.startsWith(`${p}${sep}`))) return;
            const rel = toPosix(relative(dir, abs));
            // .dockerignore itself changes what is ignored: read it again.
            if (rel !== ".dockerignore" && ignored(rel)) return;
            changed.add(toPosix(relative(process.cwd(), abs)) || abs);
            trigger();
          }),
        );
      } catch (err) {
        say(`topo: cannot watch ${dir}: ${(err as Error).message}`);
      }
    }
    // FILE: watched through its directory (editors replace the file, which a watch on it would lose).
    watchers.push(
      watch(dirname(topologyFile), (_event, name) => {
        if (name !== basename(topologyFile)) return;
        changed.add(file);
        trigger();
      }),
    );
  };

  start(); // the first round: what plain `topo up` does
  return new Promise((resolveCode) => {
    const stop = () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      process.off("SIGINT", stop);
      const finish = () => {
        say(`stopped watching ${file}; the project keeps running (topo down ${file} stops it)`);
        resolveCode(0);
      };
      if (running) {
        say("stopping after the rollout in flight");
        void running.then(finish);
      } else finish();
    };
    process.on("SIGINT", stop);
    opts.signal?.addEventListener("abort", stop);
  });
}
