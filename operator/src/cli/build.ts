// `topo build FILE [--push] [--load]`: the images of the nodes with build, exactly as `topo up` makes them
// (the same content tags), for a cluster: pushed to their repository with their digests resolved, or
// loaded into the cluster's nodes when there is no registry (kind's `load`, or containerd's import on the
// local control plane's real node). `topo render --images-from-build` then pins them.
import { spawn } from "node:child_process";
import { loadLocalConfig } from "../local-config.ts";
import { buildImages, planBuilds, withBuiltImages, type BuiltImage } from "../local/build.ts";
import { Docker, lastLine, run } from "../local/docker.ts";
import { API_VERSION, KIND } from "../api/constants.ts";
import type { Topology } from "../api/topology.ts";
import { UsageError, UserError, type Command, type CommandContext } from "./command.ts";
import { loadOrFail } from "./load.ts";

/** A built node's image as a cluster should name it: by digest once pushed, else by its content tag. */
export interface PinnedImage {
  node: string;
  tag: string;
  id: string;
  /** repo@sha256:... when the engine knows the tag's digest in its repository (after a push). */
  digest?: string;
  /** What the Topology names: the digest reference, or the tag. */
  ref: string;
}

/** Where `--load` imports without TOPO_CONTAINERD_ADDRESS: containerd's own default socket. */
export const DEFAULT_CONTAINERD_ADDRESS = "/run/containerd/containerd.sock";

const repositoryOf = (tag: string) => tag.slice(0, tag.lastIndexOf(":"));

/** The image id and the digest in the tag's own repository, of each tag the engine has. */
async function inspect(docker: Docker, tag: string): Promise<{ id: string; digest?: string } | undefined> {
  const r = await docker.run(["image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", tag]);
  if (r.code !== 0) return undefined;
  const [id, json] = [r.stdout.slice(0, r.stdout.indexOf(" ")), r.stdout.slice(r.stdout.indexOf(" ") + 1)];
  const digests = (JSON.parse(json.trim() || "[]") as string[] | null) ?? [];
  const digest = digests.find((d) => d.startsWith(`${repositoryOf(tag)}@`));
  return { id: id.trim(), ...(digest ? { digest } : {}) };
}

/**
 * The images `topo build` made for a topology as it is now: its build inputs hashed again, each tag looked
 * up in the engine. A tag the engine does not have (never built, or the inputs changed since) fails.
 */
export async function pinnedImages(docker: Docker, topology: Topology, file: string): Promise<PinnedImage[]> {
  const out: PinnedImage[] = [];
  for (const t of await planBuilds(topology, file))
    for (const [i, tag] of t.tags.entries()) {
      const node = t.nodes[i]!;
      const found = await inspect(docker, tag);
      if (!found)
        throw new UserError(
          `node ${node}: no image is tagged ${tag} (its build inputs as they are now): run \`topo build ${file}\` first`,
        );
      out.push({ node, tag, ...found, ref: found.digest ?? tag });
    }
  return out;
}

/** Streams `docker save TAGS` into a command's standard input; resolves with its failure, or undefined. */
function saveInto(docker: Docker, tags: string[], cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolveFailure) => {
    const save = spawn(docker.bin, ["save", ...tags], { env: docker.env, stdio: ["ignore", "pipe", "pipe"] });
    const load = spawn(cmd, args, { env: docker.env, stdio: ["pipe", "ignore", "pipe"] });
    let saveErr = "";
    let loadErr = "";
    save.stderr.on("data", (d: Buffer) => (saveErr += d.toString()));
    load.stderr.on("data", (d: Buffer) => (loadErr += d.toString()));
    save.stdout.pipe(load.stdin);
    load.stdin.on("error", () => undefined);
    let saved: number | null = null;
    save.on("error", (err) => (saveErr += err.message));
    load.on("error", (err) => (loadErr += err.message));
    save.on("close", (code) => (saved = code ?? 1));
    load.on("close", (code) => {
      if (saved !== null && saved !== 0) resolveFailure(`docker save failed: ${lastLine(saveErr)}`);
      else if (code !== 0) resolveFailure(`${cmd} failed: ${lastLine(loadErr) || `exit ${code}`}`);
      else resolveFailure(undefined);
    });
  });
}

async function loadIntoCluster(ctx: CommandContext, docker: Docker, tags: string[]): Promise<string> {
  const config = loadLocalConfig(ctx.env);
  if (config.TOPO_KIND_CLUSTER) {
    const r = await run("kind", ["load", "docker-image", "--name", config.TOPO_KIND_CLUSTER, ...tags], {
      env: ctx.env,
    });
    if (r.code !== 0) throw new UserError(`kind load docker-image failed: ${lastLine(r.stderr)}`);
    return `kind cluster ${config.TOPO_KIND_CLUSTER}`;
  }
  const address = config.TOPO_CONTAINERD_ADDRESS ?? DEFAULT_CONTAINERD_ADDRESS;
  const failed = await saveInto(docker, tags, "ctr", [
    "--address",
    address,
    "--namespace",
    "k8s.io",
    "images",
    "import",
    "-",
  ]);
  if (failed)
    throw new UserError(
      `loading the images into containerd at ${address} failed: ${failed} (TOPO_CONTAINERD_ADDRESS names the socket, TOPO_KIND_CLUSTER a kind cluster)`,
    );
  return `containerd at ${address}`;
}

async function push(docker: Docker, images: BuiltImage[]): Promise<void> {
  for (const tag of new Set(images.map((i) => i.tag))) {
    const r = await docker.run(["push", tag]);
    if (r.code !== 0) {
      const node = images.find((i) => i.tag === tag)!.node;
      throw new UserError(`node ${node}: docker push ${tag} failed: ${lastLine(r.stderr)}`);
    }
  }
}

export const buildCommand: Command = {
  name: "build",
  summary:
    "build the images of the nodes with build (the tags topo up runs); --push or --load them for a cluster",
  usage: "topo build FILE... [--push] [--load]",
  help: [
    "Builds each node with build as `topo up` does: docker build with its layer cache, tagged",
    "<image or topo.local/<topology>-<node>>:<hash of the build inputs>, and not built again while an image",
    "has that tag. Then `topo render FILE --images-from-build` writes the objects (or, with --topology, the",
    "Topology) with these images: by digest after --push, else by the content tag.",
    "",
    "Options:",
    "  --push   push each tag to its repository (the node's image) and print its digest",
    "  --load   no registry: load the images into the cluster's nodes, with `kind load docker-image` when",
    "           TOPO_KIND_CLUSTER names a kind cluster, else containerd's import into the socket",
    "           TOPO_CONTAINERD_ADDRESS (the local control plane's real node)",
    "",
  ].join("\n"),
  options: { push: { type: "boolean" }, load: { type: "boolean" } },
  async run({ positionals, values }, ctx) {
    if (positionals.length === 0) throw new UsageError("build takes at least one FILE");
    if (positionals.includes("-"))
      throw new UsageError("build contexts are relative to FILE, so FILE cannot be standard input");
    const loaded = await loadOrFail(positionals, ctx);
    const docker = new Docker({ docker: loadLocalConfig(ctx.env).TOPO_DOCKER, env: ctx.env });
    for (const { file, topology } of loaded) {
      const images = await buildImages({
        docker,
        topology,
        file,
        log: (line) => ctx.stderr.write(`${line}\n`),
      });
      if (!images.length) {
        ctx.stderr.write(`${topology.name}: no node has build\n`);
        continue;
      }
      if (values.push === true) await push(docker, images);
      const where =
        values.load === true
          ? await loadIntoCluster(
              ctx,
              docker,
              images.map((i) => i.tag),
            )
          : "";
      const pinned = await pinnedImages(docker, topology, file);
      for (const p of pinned) {
        const made = images.find((i) => i.node === p.node)?.built ? "built" : "unchanged";
        ctx.stdout.write(`${topology.name}/${p.node}\t${p.digest ?? p.tag}\t${p.id}\t${made}\n`);
      }
      if (where) ctx.stderr.write(`${topology.name}: loaded ${pinned.length} image(s) into ${where}\n`);
    }
    return 0;
  },
};

/** The annotation of a Topology `render --images-from-build --topology` writes: node → image id, for tags. */
export const ANNOTATION_BUILT_IMAGE_IDS = "topo.dev/built-image-ids";

/** The topology running the pinned images (no build left): what render's objects are made of. */
export function withPinnedImages(topology: Topology, pinned: readonly PinnedImage[]): Topology {
  return withBuiltImages(
    topology,
    pinned.map((p) => ({ node: p.node, tag: p.ref, id: p.id, built: false })),
  );
}

/**
 * The Topology document with each built node's image pinned where the node is declared (its entry, or its
 * generator's template: one build shared by every node it makes) and every build removed; nodes pinned by
 * tag, not digest, have their image ids in ANNOTATION_BUILT_IMAGE_IDS.
 */
export function pinnedTopologyDocument(
  topology: Topology,
  pinned: readonly PinnedImage[],
  namespace?: string,
): Record<string, unknown> {
  const spec = structuredClone(topology.spec) as Topology["spec"] & Record<string, unknown>;
  const pinnedGenerators = new Set<number>();
  for (const p of pinned) {
    const node = topology.nodes.find((n) => n.name === p.node)!;
    const g = node.origin.generator;
    if (g) {
      // Every node of a generator shares its build: the first node's image stands for all of them.
      if (pinnedGenerators.has(g.index)) continue;
      pinnedGenerators.add(g.index);
      const gen = spec.generators![g.index]!;
      gen.template = { ...gen.template, image: p.ref };
    } else {
      const i = node.origin.path[2] as number;
      spec.nodes![i] = { ...spec.nodes![i]!, image: p.ref };
    }
  }
  if (spec.defaults) delete spec.defaults.build;
  for (const n of spec.nodes ?? []) delete n.build;
  for (const gen of spec.generators ?? []) if (gen.template) delete gen.template.build;
  const ids = pinned.filter((p) => !p.digest).map((p) => [p.node, p.id]);
  const ns = namespace ?? topology.namespace;
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: topology.name,
      ...(ns ? { namespace: ns } : {}),
      ...(ids.length
        ? { annotations: { [ANNOTATION_BUILT_IMAGE_IDS]: JSON.stringify(Object.fromEntries(ids)) } }
        : {}),
    },
    spec,
  };
}
