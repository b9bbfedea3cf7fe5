// `topo up|down|status|logs FILE`: run a topology on this machine with Docker Compose.
import type { Topology } from "../api/topology.ts";
import { recordLocalHistory } from "../local/history.ts";
import { down, logs, status, up as runUp } from "../local/runtime.ts";
import { stateDir } from "../local/state.ts";
import { watchAndUp } from "../local/watch.ts";
import { UsageError, UserError, type Command, type CommandContext } from "./command.ts";
import { loadOrFail } from "./load.ts";

/** `topo up`, then its record into the history store: a failed or rolled-back release too. */
async function up(ctx: CommandContext, file: string, topology: Topology): Promise<number> {
  try {
    return await runUp(ctx, file, topology);
  } finally {
    await recordLocalHistory(ctx, file, topology.name);
  }
}

export async function loadOne(file: string | undefined, ctx: CommandContext): Promise<Topology> {
  if (!file) throw new UsageError("a topology FILE is required");
  if (file === "-")
    throw new UsageError("these commands keep state beside FILE, so FILE cannot be standard input");
  const loaded = await loadOrFail([file], ctx);
  if (loaded.length !== 1)
    throw new UserError(
      `${file} holds ${loaded.length} topologies (${loaded.map((l) => l.topology.name).join(", ")}); run one file per topology`,
    );
  return loaded[0]!.topology;
}

const secretsHelp = [
  "Secrets: each secretRef {name, key} is read from the environment variable TOPO_SECRET_<NAME>_<KEY>",
  "(uppercase; other characters become _) or from a line <key>=<value> in <name>.env beside FILE. The",
  "values reach the containers through an env file with mode 0600 in the state directory, never through",
  "the generated compose file.",
];

export const upCommand: Command = {
  name: "up",
  summary: "run the topology with Docker Compose, wait for health, roll back on failure",
  usage: "topo up FILE [--watch]",
  help: [
    "Renders the compose project into .topo/<topology>/revisions/<n>/ beside FILE (TOPO_STATE_DIR moves it),",
    "starts it with `docker compose` (or docker-compose v1; TOPO_COMPOSE=v1|v2 chooses), and waits until every",
    "service with a health check is healthy and every other one is running, within rollout.progressDeadlineSeconds.",
    "When a service exits, turns unhealthy or misses the deadline and rollout.autoRollback is on, the last good",
    "revision is started again and the command exits 1 naming the service, the reason and its last log lines.",
    "A docker-compose.override.yml beside FILE is applied on top.",
    "",
    "Nodes with build are built first (docker build, with its layer cache) and tagged",
    "<image or topo.local/<topology>-<node>>:<hash of the build inputs>; an image with that tag is not built",
    "again, and a failed build stops the release before anything is stopped.",
    "",
    "Options:",
    "  --watch   after the first run, run again whenever a build context (as .dockerignore leaves it) or",
    "            FILE changes: the changed node is built and rolled forward, or rolled back when it fails",
    "            its health checks. Ctrl-C stops watching and leaves the project running.",
    "",
    ...secretsHelp,
    "",
  ].join("\n"),
  options: { watch: { type: "boolean" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("up takes exactly one FILE");
    const file = positionals[0]!;
    const topology = await loadOne(file, ctx);
    if (values.watch !== true) return up(ctx, file, topology);
    return watchAndUp({
      ctx,
      file,
      load: () => loadOne(file, ctx),
      up: (t) => up(ctx, file, t),
      ignore: [stateDir(file, topology.name, ctx.env)],
    });
  },
};

export const downCommand: Command = {
  name: "down",
  summary: "stop and remove the topology's compose project (volumes kept unless --volumes)",
  usage: "topo down FILE [--volumes] [--prune-images]",
  help: [
    "Options:",
    "  --volumes        remove the named volumes too",
    "  --prune-images   remove the images topo up built for nodes with build that no kept revision uses",
    "                   (the revisions in the history keep theirs, so a later rollback still needs no build)",
    "",
  ].join("\n"),
  options: { volumes: { type: "boolean" }, "prune-images": { type: "boolean" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("down takes exactly one FILE");
    return down(ctx, positionals[0]!, await loadOne(positionals[0], ctx), values.volumes === true, {
      pruneImages: values["prune-images"] === true,
    });
  },
};

export const statusCommand: Command = {
  name: "status",
  summary: "each service's state, health, replicas and image, and the deployed revision",
  usage: "topo status FILE [-o json]",
  help: "Options:\n  -o json   machine-readable output\n",
  options: { output: { type: "string", short: "o" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("status takes exactly one FILE");
    if (values.output !== undefined && values.output !== "json") throw new UsageError("-o accepts only json");
    return status(ctx, positionals[0]!, await loadOne(positionals[0], ctx), values.output === "json");
  },
};

export const logsCommand: Command = {
  name: "logs",
  summary: "the compose logs of the topology, or of one node",
  usage: "topo logs FILE [NODE] [--follow]",
  help: "Options:\n  -f, --follow   keep streaming\n",
  options: { follow: { type: "boolean", short: "f" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length < 1 || positionals.length > 2)
      throw new UsageError("logs takes FILE and an optional NODE");
    return logs(
      ctx,
      positionals[0]!,
      await loadOne(positionals[0], ctx),
      positionals[1],
      values.follow === true,
    );
  },
};
