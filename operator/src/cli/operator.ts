// `topo operator`: runs the controller (in a cluster with its service account, locally with KUBECONFIG).
import { KubeConfig } from "../kube/client.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { startOperatorHistory } from "../controller/history-operator.ts";
import { Manager } from "../controller/manager.ts";
import { createLogger } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { createHttpApp, listen } from "../server/http.ts";
import { UsageError, UserError, type Command } from "./command.ts";
import { startOperatorDashboard } from "./dashboard.ts";

export const operatorCommand: Command = {
  name: "operator",
  summary: "run the controller (the container's entrypoint); configured by TOPO_* environment variables",
  usage: "topo operator",
  help: "Configuration comes only from environment variables: see .env.example.\nServes /healthz, /readyz and /metrics on TOPO_HTTP_PORT (8081).\n",
  options: {},
  async run({ positionals }, ctx) {
    if (positionals.length) throw new UsageError("operator takes no arguments");
    let config;
    try {
      config = loadConfig(ctx.env);
    } catch (err) {
      if (err instanceof ConfigError) throw new UserError(err.message, { exitCode: 2 });
      throw err;
    }
    const log = createLogger(config.TOPO_LOG_LEVEL);
    const kc = new KubeConfig();
    if (ctx.env.KUBERNETES_SERVICE_HOST && !ctx.env.KUBECONFIG) kc.loadFromCluster();
    else kc.loadFromDefault();
    const metrics = createMetrics();
    const recording = config.TOPO_HISTORY_URL !== undefined && config.TOPO_HISTORY_URL !== "off";
    const manager = new Manager({
      kc,
      config,
      log,
      metrics,
      ...(recording
        ? {
            history: (watches, isLeader) =>
              startOperatorHistory({ kc, config, log, metrics, watches, isLeader }),
          }
        : {}),
    });
    const server = await listen(
      createHttpApp({ registry: metrics.registry, ready: () => manager.ready() }),
      config.TOPO_HTTP_PORT,
      config.TOPO_HTTP_HOST,
    );
    log.info(
      { port: config.TOPO_HTTP_PORT, cluster: kc.getCurrentCluster()?.server, identity: config.identity },
      "topo operator starting",
    );
    await manager.start();
    const dashboard = config.TOPO_DASHBOARD_ENABLED
      ? await startOperatorDashboard({ kc, config, log, watch: manager.watches.get("Topology")! })
      : undefined;
    const shutdown = () =>
      new Promise<void>((resolve) => {
        void Promise.all([manager.stop(), dashboard?.close()]).then(() => server.close(() => resolve()));
        setTimeout(() => resolve(), 10_000).unref();
      });
    const signalled = new Promise<string>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    });
    const outcome = await Promise.race([
      signalled.then((signal) => ({ signal })),
      manager.done.then(
        () => ({ signal: "done" }),
        (err: Error) => ({ err }),
      ),
    ]);
    if ("err" in outcome) {
      // Like controller-runtime: a replica that lost the lease exits, and is restarted as a follower.
      log.error({ err: outcome.err.message }, "leadership lost; exiting");
      await shutdown();
      return 1;
    }
    log.info({ signal: outcome.signal }, "shutting down");
    await shutdown();
    return 0;
  },
};
