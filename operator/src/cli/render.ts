// `topo render FILE [-o yaml|json]`: the Kubernetes objects the operator would apply.
import { renderKubernetes } from "../render/k8s/index.ts";
import { UsageError, type Command } from "./command.ts";
import { loadOrFail } from "./load.ts";
import { formatObjects, outputFormat, type Format } from "./output.ts";

export const renderCommand: Command = {
  name: "render",
  summary: "print the Kubernetes objects the operator would apply",
  usage: "topo render FILE [-o yaml|json] [-n NAMESPACE]",
  help: "Options:\n  -o, --output FORMAT     yaml (default) or json (a v1 List)\n  -n, --namespace NAME    set metadata.namespace on every object\n",
  options: { output: { type: "string", short: "o" }, namespace: { type: "string", short: "n" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("render takes exactly one FILE");
    const format = outputFormat(values.output, ["yaml", "json"], "yaml") as Format;
    const loaded = await loadOrFail(positionals, ctx);
    const namespace = typeof values.namespace === "string" ? values.namespace : undefined;
    const objects = loaded.flatMap(({ topology }) =>
      renderKubernetes(namespace ? { ...topology, namespace } : topology),
    );
    ctx.stdout.write(formatObjects(objects, format));
    return 0;
  },
};
