// The registry of `topo` subcommands, in the order `topo --help` lists them. Each command's module is
// imported only when that command runs (or its --help is asked for), so an offline command such as
// `topo validate` never loads the Kubernetes client, express or pino: start-up is what the command uses.
// The summary is repeated here for `topo --help`, which lists every command without loading any;
// commands.test.ts holds each to its module's.
import type { Command } from "./command.ts";

export interface CommandEntry {
  name: string;
  summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
  /**
   * The command's module imports the Kubernetes client: the executable registers the lean loader first
   * (kube/lean-loader.ts), so that the client's generated models are never loaded.
   */
  kube?: true;
  /** The command runs until it is stopped (a server): it keeps zod's JIT (api/parse.ts parseWithoutJit). */
  serves?: true;
}

export const commands: CommandEntry[] = [
  {
    name: "validate",
    summary: "parse and validate topology files; print every error as FILE:LINE:COL: path: reason",
    load: async () => (await import("./validate.ts")).validateCommand,
  },
  {
    name: "render",
    summary: "print the Kubernetes objects the operator would apply",
    load: async () => (await import("./render.ts")).renderCommand,
  },
  {
    name: "compose",
    summary: "print a docker-compose.yml for the topology (secrets as ${TOPO_SECRET_*} variables)",
    load: async () => (await import("./compose.ts")).composeCommand,
  },
  {
    name: "graph",
    summary: "print the expanded graph (generators applied) as JSON, DOT or Mermaid",
    load: async () => (await import("./graph.ts")).graphCommand,
  },
  {
    name: "plan",
    summary: "show what applying a topology would do (per node, per object, the revision); writes nothing",
    load: async () => (await import("./plan.ts")).planCommand,
    kube: true,
  },
  {
    name: "build",
    summary:
      "build the images of the nodes with build (the tags topo up runs); --push or --load them for a cluster",
    load: async () => (await import("./build.ts")).buildCommand,
  },
  {
    name: "up",
    summary: "run the topology with Docker Compose, wait for health, roll back on failure",
    load: async () => (await import("./local.ts")).upCommand,
  },
  {
    name: "down",
    summary: "stop and remove the topology's compose project (volumes kept unless --volumes)",
    load: async () => (await import("./local.ts")).downCommand,
  },
  {
    name: "status",
    summary: "each service's state, health, replicas and image, and the deployed revision",
    load: async () => (await import("./local.ts")).statusCommand,
  },
  {
    name: "logs",
    summary: "the compose logs of the topology, or of one node",
    load: async () => (await import("./local.ts")).logsCommand,
  },
  {
    name: "history",
    summary:
      "the revisions of a topology (Compose: FILE; cluster: NAME -n NS): time, trigger, outcome, images",
    load: async () => (await import("./history.ts")).historyCommand,
    kube: true,
  },
  {
    name: "rollback",
    summary:
      "roll back by hand to a kept revision (Compose: FILE; cluster: NAME -n NS, pinned until --release)",
    load: async () => (await import("./rollback.ts")).rollbackCommand,
    kube: true,
  },
  {
    name: "operator",
    summary: "run the controller (the container's entrypoint); configured by TOPO_* environment variables",
    load: async () => (await import("./operator.ts")).operatorCommand,
    kube: true,
    serves: true,
  },
  {
    name: "dashboard",
    summary: "serve the dashboard (every topology as a live graph) on :8080",
    load: async () => (await import("./dashboard.ts")).dashboardCommand,
    kube: true,
    serves: true,
  },
];
