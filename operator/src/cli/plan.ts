// `topo plan FILE`: what applying the file would do, on a cluster or on the local Docker engine; writes
// nothing. Exit 0 (also with changes, unless --exit-code: then 3), 1 on an error, 2 on a usage error.
import { KubeConfig } from "../kube/client.ts";
import { loadDashboardConfig } from "../config.ts";
import { formatPlan } from "../plan/format.ts";
import { planLocally } from "../plan/compose.ts";
import { planOnCluster, planNamespace } from "../plan/kube.ts";
import type { Plan } from "../plan/plan.ts";
import { UsageError, UserError, type Command, type CommandContext } from "./command.ts";
import { formatDiagnostic, loadTopologies, type LoadedTopology } from "./load.ts";
import { outputFormat } from "./output.ts";
import { inexactLines, locatedPortability } from "./portability.ts";

/** Exit code of a plan with changes under --exit-code (a CI gate), as `terraform plan -detailed-exitcode`. */
export const EXIT_CHANGES = 3;

/**
 * Loads the files; an invalid one fails as `topo validate` does: every diagnostic, the count, exit 1. A
 * valid one prints no warnings (as render and compose do): what a target cannot carry is in the plan.
 */
async function loadAsValidate(files: string[], ctx: CommandContext): Promise<LoadedTopology[] | undefined> {
  const { topologies, diagnostics } = await loadTopologies(files, ctx);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  if (errors === 0) return topologies;
  for (const d of diagnostics) ctx.stderr.write(`${formatDiagnostic(d)}\n`);
  ctx.stderr.write(`${errors} error${errors === 1 ? "" : "s"}\n`);
  return undefined;
}

/** kube when a cluster is configured (KUBECONFIG, or inside a pod), else compose. */
function defaultTarget(ctx: CommandContext): "kube" | "compose" {
  const config = loadDashboardConfig(ctx.env);
  return config.KUBECONFIG || config.KUBERNETES_SERVICE_HOST ? "kube" : "compose";
}

/** The kubeconfig: KUBECONFIG (its first file), else ~/.kube/config, else the pod's service account. */
function kubeConfig(ctx: CommandContext): KubeConfig {
  const config = loadDashboardConfig(ctx.env);
  const file = config.KUBECONFIG?.split(":").find(Boolean);
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else if (config.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new UserError(`cannot read the kubeconfig${file ? ` ${file}` : ""}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!kc.getCurrentCluster())
    throw new UserError("no cluster to plan against: set KUBECONFIG, or use --target compose");
  return kc;
}

export const planCommand: Command = {
  name: "plan",
  summary: "show what applying a topology would do (per node, per object, the revision); writes nothing",
  usage: "topo plan FILE [-n NAMESPACE] [--target kube|compose] [-o text|json] [--exit-code]",
  help: [
    "Options:",
    "  -n, --namespace NAME    the cluster namespace (default: the file's, the kubeconfig context's, default)",
    "  --target kube|compose   compare with the cluster in KUBECONFIG, or with the Compose project `topo up`",
    "                          runs on the local Docker engine (default: kube when KUBECONFIG is set)",
    "  -o, --output FORMAT     text (default) or json",
    "  --exit-code             exit 3 when applying would change anything (0 when not)",
    "",
    "Per node: create, update, restart (its pods or containers are replaced), unchanged or delete; per",
    "object + created, ~ changed (field by field) or - deleted; then the revision it becomes and the",
    "order in which the nodes that restart start. Nothing is written: objects are applied with",
    "dryRun=All under the operator's field manager.",
  ].join("\n"),
  options: {
    namespace: { type: "string", short: "n" },
    target: { type: "string" },
    output: { type: "string", short: "o" },
    "exit-code": { type: "boolean" },
  },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("plan takes exactly one FILE");
    const format = outputFormat(values.output, ["text", "json"], "text");
    const target = String(values.target ?? defaultTarget(ctx));
    if (target !== "kube" && target !== "compose")
      throw new UsageError(`--target must be kube or compose, not "${target}"`);
    const loaded = await loadAsValidate(positionals, ctx);
    if (!loaded) return 1;
    const flag = typeof values.namespace === "string" ? values.namespace : undefined;
    const plans: Plan[] = [];
    if (target === "kube") {
      const kc = kubeConfig(ctx);
      for (const { topology } of loaded)
        plans.push(await planOnCluster(kc, topology, planNamespace(kc, topology, flag)));
    } else {
      if (positionals[0] === "-")
        throw new UsageError(
          "topo up keeps its state beside FILE: a Compose plan needs the FILE, not standard input",
        );
      for (const { topology } of loaded) plans.push(await planLocally(ctx, positionals[0]!, topology));
    }
    // What the target does not carry exactly, with the file and line of each field.
    const portability = loaded.map((l) => locatedPortability(l).filter((i) => i[target].carry !== "exact"));
    const changed = plans.some((p) => p.changed);
    if (format === "json") {
      const data = plans.map((p, i) => ({
        ...p,
        portability: portability[i]!.map((item) => ({
          node: item.node,
          field: item.field,
          line: item.line,
          col: item.col,
          ...item[target],
        })),
      }));
      ctx.stdout.write(`${JSON.stringify({ changed, plans: data }, null, 2)}\n`);
    } else {
      const texts = plans.map((p, i) => {
        const lines = inexactLines(loaded[i]!.file, portability[i]!, [target]);
        const section = lines.length
          ? `\nPortability (${target === "kube" ? "Kubernetes" : "Compose"}): ${lines.length} not carried exactly (topo validate --portability compares both targets)\n${lines.map((l) => `  ${l}\n`).join("")}`
          : "";
        return formatPlan(p) + section;
      });
      ctx.stdout.write(texts.join("\n"));
    }
    return changed && values["exit-code"] ? EXIT_CHANGES : 0;
  },
};
