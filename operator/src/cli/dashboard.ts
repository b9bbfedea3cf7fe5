// `topo dashboard`: serves the dashboard on its own, from a cluster (KUBECONFIG) or the local Docker engine;
// and the hook the operator uses to serve it from its own informer caches.
import { KubeConfig } from "../kube/client.ts";
import type { Logger } from "pino";
import { loadDashboardConfig, type Config } from "../config.ts";
import type { KindWatch } from "../kube/informer.ts";
import { ComposeSource } from "../dashboard/compose-source.ts";
import { openStoreLazily } from "../history/store.ts";
import { localHistoryUrl } from "../local/history.ts";
import { Docker } from "../local/docker.ts";
import { operatorKubeSource, standaloneKubeSource } from "../dashboard/kube-source.ts";
import { serveDashboard, webRoot } from "../dashboard/server.ts";
import type { DashboardSource } from "../dashboard/source.ts";
import type { Planner } from "../dashboard/plan.ts";
import { planProject } from "../plan/compose.ts";
import { planOnCluster } from "../plan/kube.ts";
import { UsageError, type Command } from "./command.ts";

/** Called by `topo operator` once its caches are synced (TOPO_DASHBOARD_ENABLED). */
export async function startOperatorDashboard(o: {
  kc: KubeConfig;
  config: Config;
  log: Logger;
  watch: KindWatch;
}) {
  const d = await serveDashboard({
    source: operatorKubeSource(o.kc, o.watch),
    port: o.config.TOPO_DASHBOARD_PORT,
    host: o.config.TOPO_HTTP_HOST,
    log: o.log,
    ...(o.config.TOPO_DASHBOARD_TOKEN ? { token: o.config.TOPO_DASHBOARD_TOKEN } : {}),
    ...(o.config.dashboardOidc ? { oidc: o.config.dashboardOidc } : {}),
    plan: (namespace, _name, topology) => planOnCluster(o.kc, topology, namespace),
    ...(o.config.TOPO_HISTORY_URL && o.config.TOPO_HISTORY_URL !== "off"
      ? { history: openStoreLazily(o.config.TOPO_HISTORY_URL) }
      : {}),
  });
  o.log.info(
    {
      port: d.port,
      token: Boolean(o.config.TOPO_DASHBOARD_TOKEN),
      oidc: o.config.dashboardOidc?.issuer.href,
      web: Boolean(webRoot()),
    },
    "dashboard serving",
  );
  return d;
}

export const dashboardCommand: Command = {
  name: "dashboard",
  summary: "serve the dashboard (every topology as a live graph) on :8080",
  usage: "topo dashboard [--source kube|compose] [--port 8080] [--host 0.0.0.0]",
  help: [
    "Options:",
    "  --source kube|compose  Topology objects from the cluster in KUBECONFIG, or Compose projects on the",
    "                         local Docker engine (default: kube when KUBECONFIG is set, else compose)",
    "  --port PORT            default TOPO_DASHBOARD_PORT or 8080",
    "  --host HOST            default 127.0.0.1",
    "",
    "Environment: TOPO_DASHBOARD_TOKEN (require `Authorization: Bearer TOKEN` on /api; open the page once",
    "with ?token=TOKEN), TOPO_NAMESPACES (kube: namespaces to watch, default all), TOPO_DOCKER (compose:",
    "the docker CLI; DOCKER_HOST and the rest of its environment are passed on), TOPO_DASHBOARD_OIDC_*",
    "(people sign in with OpenID Connect: docs/dashboard.md, Logging in), TOPO_HISTORY_URL (the history",
    "store the timeline reads; default sqlite:~/.local/state/topo/history.db, where `topo up` writes).",
  ].join("\n"),
  options: { source: { type: "string" }, port: { type: "string" }, host: { type: "string" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length) throw new UsageError("dashboard takes no arguments");
    const config = loadDashboardConfig(ctx.env);
    const kind = String(
      values.source ?? (config.KUBECONFIG || config.KUBERNETES_SERVICE_HOST ? "kube" : "compose"),
    );
    if (kind !== "kube" && kind !== "compose")
      throw new UsageError(`--source must be kube or compose, not "${kind}"`);
    const port = Number(values.port ?? config.TOPO_DASHBOARD_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port: not a port: ${values.port}`);
    let source: DashboardSource;
    let plan: Planner;
    if (kind === "kube") {
      const kc = new KubeConfig();
      if (config.KUBERNETES_SERVICE_HOST && !config.KUBECONFIG) kc.loadFromCluster();
      else kc.loadFromDefault();
      source = await standaloneKubeSource(kc, config.TOPO_NAMESPACES);
      plan = (namespace, _name, topology) => planOnCluster(kc, topology, namespace);
    } else {
      source = new ComposeSource({ docker: new Docker({ docker: config.TOPO_DOCKER, env: ctx.env }) });
      plan = (_namespace, _name, topology) => planProject(ctx, topology);
    }
    const token = config.TOPO_DASHBOARD_TOKEN;
    const historyUrl = localHistoryUrl(ctx.env);
    const d = await serveDashboard({
      ...(historyUrl ? { history: openStoreLazily(historyUrl) } : {}),
      source,
      port,
      host: String(values.host ?? "127.0.0.1"),
      ...(token ? { token } : {}),
      ...(config.dashboardOidc ? { oidc: config.dashboardOidc } : {}),
      plan,
    });
    ctx.stderr.write(
      `topo dashboard (${kind}) on http://${String(values.host ?? "127.0.0.1")}:${d.port}/${config.dashboardOidc ? ` (sign-in with ${config.dashboardOidc.issuer.href})` : token ? " (token required)" : ""}\n`,
    );
    if (!webRoot()) ctx.stderr.write("warning: the front end is not built; run `npm run build:web`\n");
    await new Promise<void>((resolve) => {
      const stop = () => void Promise.all([d.close(), source.close?.()]).then(() => resolve());
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
    return 0;
  },
};
