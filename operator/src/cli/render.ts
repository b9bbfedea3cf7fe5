// `topo render FILE [-o yaml|json]`: the Kubernetes objects the operator would apply; with
// --images-from-build, those (or the Topology, with --topology) running the images `topo build` made.
import { checkClusterImages } from "../api/rules.ts";
import { formatPath } from "../api/topology.ts";
import { renderKubernetes } from "../render/k8s/index.ts";
import { UsageError, UserError, type Command } from "./command.ts";
import { loadOrFail } from "./load.ts";
import { formatObjects, outputFormat, type Format } from "./output.ts";

export const renderCommand: Command = {
  name: "render",
  summary: "print the Kubernetes objects the operator would apply",
  usage: "topo render FILE [-o yaml|json] [-n NAMESPACE] [--images-from-build [--topology]]",
  help: [
    "Options:",
    "  -o, --output FORMAT     yaml (default) or json (a v1 List)",
    "  -n, --namespace NAME    set metadata.namespace on every object",
    "  --images-from-build     nodes with build run the images `topo build FILE` made for their inputs as",
    "                          they are now: by digest after `topo build --push`, else by content tag",
    "  --topology              with --images-from-build: print the Topology itself (images pinned, build",
    "                          removed), for kubectl apply -f - and the operator",
    "",
  ].join("\n"),
  options: {
    output: { type: "string", short: "o" },
    namespace: { type: "string", short: "n" },
    "images-from-build": { type: "boolean" },
    topology: { type: "boolean" },
  },
  async run({ positionals, values }, ctx) {
    if (positionals.length !== 1) throw new UsageError("render takes exactly one FILE");
    const format = outputFormat(values.output, ["yaml", "json"], "yaml") as Format;
    const fromBuild = values["images-from-build"] === true;
    if (values.topology === true && !fromBuild) throw new UsageError("--topology needs --images-from-build");
    if (fromBuild && positionals[0] === "-")
      throw new UsageError("build contexts are relative to FILE, so FILE cannot be standard input");
    const loaded = await loadOrFail(positionals, ctx);
    const namespace = typeof values.namespace === "string" ? values.namespace : undefined;
    // Docker and the build's inputs only for --images-from-build: a plain render loads neither.
    const build = fromBuild ? await buildImages(ctx.env) : undefined;
    const objects: unknown[] = [];
    for (const { file, topology, locate } of loaded) {
      if (!fromBuild) {
        // The cluster never builds: say so as the operator would, where the build is written.
        const unbuilt = checkClusterImages(topology.nodes);
        if (unbuilt.length) {
          for (const i of unbuilt) {
            const at = locate(i.path);
            ctx.stderr.write(`${file}:${at.line}:${at.col}: ${formatPath(i.path)}: ${i.message}\n`);
          }
          throw new UserError("nodes with build need --images-from-build (after topo build)");
        }
        objects.push(...renderKubernetes(namespace ? { ...topology, namespace } : topology));
        continue;
      }
      const { pinnedImages, pinnedTopologyDocument, withPinnedImages, docker } = build!;
      const pinned = await pinnedImages(docker, topology, file);
      if (values.topology === true) objects.push(pinnedTopologyDocument(topology, pinned, namespace));
      else {
        const t = withPinnedImages(topology, pinned);
        objects.push(...renderKubernetes(namespace ? { ...t, namespace } : t));
      }
    }
    ctx.stdout.write(formatObjects(objects, format));
    return 0;
  },
};

async function buildImages(env: NodeJS.ProcessEnv) {
  const [{ loadLocalConfig }, { Docker }, build] = await Promise.all([
    import("../local-config.ts"),
    import("../local/docker.ts"),
    import("./build.ts"),
  ]);
  return { ...build, docker: new Docker({ docker: loadLocalConfig(env).TOPO_DOCKER, env }) };
}
