// Images built from source: a node's `build` hashed (its context's files as .dockerignore leaves them,
// the Dockerfile, args and target) into a content tag `<image or topo.local/<topology>-<node>>:<hash>`,
// built with `docker build` and its layer cache only when no image has that tag yet. `topo up` runs the
// tags, so each revision's compose file names exactly the images it ran, and a rollback to it needs no
// build and no pull; `topo build` makes the same images for a cluster.
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import dockerignoreModule from "@balena/dockerignore";
import { LABEL_TOPOLOGY } from "../api/constants.ts";
import type { ResolvedBuild, ResolvedNode, Topology } from "../api/topology.ts";
import { UserError } from "../errors.ts";
import { builtImageRepository } from "../render/compose/index.ts";
import { lastLine, type Docker } from "./docker.ts";

// CommonJS: the factory is module.exports and its own .default; the types describe only .default.
const dockerignore = dockerignoreModule.default;

/** The label every built image carries: the hash of its inputs (what `topo down --prune-images` looks for). */
export const LABEL_BUILD_HASH = "topo.dev/build-hash";

/** A build failed (or its context cannot be read): names the node and the failing step. */
export class BuildError extends UserError {
  override name = "BuildError";
}

/** One build: the nodes whose inputs are the same (a generator's template, defaults) share it. */
export interface BuildTarget {
  nodes: string[];
  /** One content tag per node: `<repository>:<hash>`. */
  tags: string[];
  hash: string;
  /** Absolute paths. */
  context: string;
  dockerfile: string;
  build: ResolvedBuild;
}

export interface BuiltImage {
  node: string;
  tag: string;
  /** The engine's image id (sha256:...). */
  id: string;
  /** Whether this run built it (false: an image with its tag was there already). */
  built: boolean;
}

/** The directory a topology file's relative paths start from. */
export const baseDirOf = (topologyFile: string) => dirname(resolve(topologyFile));

const toPosix = (p: string) => p.split(sep).join("/");

/** The context's files as `docker build` sends them: .dockerignore applied, directories walked. */
async function contextDigest(context: string): Promise<string> {
  let patterns: string[] = [];
  try {
    patterns = (await readFile(join(context, ".dockerignore"), "utf8")).split(/\r?\n/);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  // An exception (!pattern) may bring back a file inside an ignored directory: then walk them all.
  const exceptions = patterns.some((p) => p.trim().startsWith("!"));
  const entries: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const list = await readdir(dir, { withFileTypes: true });
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of list) {
      const abs = join(dir, e.name);
      const rel = toPosix(relative(context, abs));
      if (e.isDirectory()) {
        if (!exceptions && ig.ignores(rel)) continue;
        await walk(abs);
        continue;
      }
      if (ig.ignores(rel)) continue;
      if (e.isSymbolicLink()) entries.push(`${rel}\0l\0${await readlink(abs)}`);
      else if (e.isFile()) {
        const mode = (await lstat(abs)).mode & 0o111 ? "x" : "-";
        const sum = createHash("sha256")
          .update(await readFile(abs))
          .digest("hex");
        entries.push(`${rel}\0${mode}\0${sum}`);
      }
    }
  };
  await walk(context);
  return createHash("sha256").update(entries.join("\n")).digest("hex");
}

/** The hash of a build's inputs: its context's files, the Dockerfile, the args and the target. */
export async function hashBuildInputs(
  context: string,
  dockerfile: string,
  build: Pick<ResolvedBuild, "args" | "target">,
): Promise<string> {
  const files = await contextDigest(context);
  const args = Object.entries(build.args).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256")
    .update(
      JSON.stringify({
        files,
        dockerfile: await readFile(dockerfile, "utf8"),
        args,
        target: build.target ?? "",
      }),
    )
    .digest("hex")
    .slice(0, 16);
}

const repositoryOf = (topology: Topology, node: ResolvedNode) =>
  node.image || builtImageRepository(topology.name, node.name);

/** The builds a topology needs, with their content tags; a context that cannot be read fails its node. */
export async function planBuilds(topology: Topology, topologyFile: string): Promise<BuildTarget[]> {
  const base = baseDirOf(topologyFile);
  const byKey = new Map<string, BuildTarget>();
  for (const node of topology.nodes) {
    if (!node.build) continue;
    const context = isAbsolute(node.build.context) ? node.build.context : resolve(base, node.build.context);
    const dockerfile = resolve(context, node.build.dockerfile);
    const isDir = await stat(context).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir)
      throw new BuildError(
        `node ${node.name}: build.context ${node.build.context} is not a directory (${context}); nothing was built or stopped`,
      );
    let hash: string;
    try {
      hash = await hashBuildInputs(context, dockerfile, node.build);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const what =
        e.path === dockerfile ? `build.dockerfile ${node.build.dockerfile} cannot be read` : e.message;
      throw new BuildError(
        `node ${node.name}: ${what} (${e.code ?? "error"}); nothing was built or stopped`,
        {
          cause: err,
        },
      );
    }
    const key = `${hash}\0${context}\0${dockerfile}`;
    const target = byKey.get(key) ?? {
      nodes: [],
      tags: [],
      hash,
      context,
      dockerfile,
      build: node.build,
    };
    target.nodes.push(node.name);
    target.tags.push(`${repositoryOf(topology, node)}:${hash}`);
    byKey.set(key, target);
  }
  return [...byKey.values()];
}

/** The step a failed `docker build` stopped at, and what it said: legacy builder and BuildKit output. */
export function failedStep(output: string): { step?: string; error: string } {
  const lines = output.split("\n").map((l) => l.trimEnd());
  const step =
    lines.findLast((l) => /^Step \d+\/\d+ : /.test(l))?.replace(/^Step (\d+\/\d+) : /, "step $1: ") ??
    lines
      .findLast((l) => /^(#\d+ |ERROR )\[[^\]]+\] /.test(l))
      ?.replace(/^(#\d+ |ERROR )\[([^\]]+)\] /, "step [$2]: ");
  const error =
    lines.findLast((l) => /^ERROR:|returned a non-zero code|error|failed/i.test(l))?.trim() ??
    lastLine(output);
  return { ...(step ? { step } : {}), error };
}

/** The image id of each tag the engine has (one inspect for all of them). */
async function imageIds(docker: Docker, tags: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  if (!tags.length) return ids;
  const r = await docker.run(["image", "inspect", "--format", "{{.Id}}", ...tags]);
  // Missing tags print errors to stderr and nothing to stdout; the others print in order. Inspect each
  // when some are missing, to know which.
  const out = r.stdout.split("\n").filter(Boolean);
  if (r.code === 0 && out.length === tags.length) {
    tags.forEach((t, i) => ids.set(t, out[i]!));
    return ids;
  }
  for (const t of tags) {
    const one = await docker.run(["image", "inspect", "--format", "{{.Id}}", t]);
    if (one.code === 0) ids.set(t, one.stdout.trim());
  }
  return ids;
}

export interface BuildOptions {
  docker: Docker;
  topology: Topology;
  /** The topology file: relative contexts start from its directory. */
  file: string;
  /** Progress lines ("building api ..."). */
  log: (line: string) => void;
}

/**
 * Builds every build a topology needs whose tag is not there yet (an image with a tag has exactly its
 * inputs, so it is not built again); tags the other nodes of a shared build. A failure throws a BuildError
 * naming the node and the step, before anything was stopped.
 */
export async function buildImages(opts: BuildOptions): Promise<BuiltImage[]> {
  const { docker, topology, file, log } = opts;
  const targets = await planBuilds(topology, file);
  const have = await imageIds(
    docker,
    targets.flatMap((t) => t.tags),
  );
  const out: BuiltImage[] = [];
  for (const t of targets) {
    const present = t.tags.find((tag) => have.has(tag));
    if (present) {
      for (const [i, tag] of t.tags.entries()) {
        if (!have.has(tag)) {
          const r = await docker.run(["tag", present, tag]);
          if (r.code !== 0)
            throw new BuildError(`node ${t.nodes[i]}: docker tag failed: ${lastLine(r.stderr)}`);
        }
        out.push({ node: t.nodes[i]!, tag, id: have.get(present)!, built: false });
      }
      continue;
    }
    log(`building ${t.nodes.join(", ")} (${t.tags[0]}) from ${t.build.context}`);
    const args = [
      "build",
      "-f",
      t.dockerfile,
      ...(t.build.target ? ["--target", t.build.target] : []),
      ...Object.entries(t.build.args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
      "--label",
      `${LABEL_BUILD_HASH}=${t.hash}`,
      "--label",
      `${LABEL_TOPOLOGY}=${topology.name}`,
      ...t.tags.flatMap((tag) => ["-t", tag]),
      t.context,
    ];
    const r = await docker.run(args);
    if (r.code !== 0) {
      const output = `${r.stdout}\n${r.stderr}`;
      const { step, error } = failedStep(output);
      const tail = output
        .trim()
        .split("\n")
        .filter(
          (l) =>
            l.trim() &&
            !/DEPRECATED|legacy builder|buildx|^\s*---> |^Removing intermediate|^Sending build context/.test(
              l,
            ),
        )
        .slice(-8)
        .map((l) => `    ${l.trim()}`)
        .join("\n");
      throw new BuildError(
        `node ${t.nodes[0]}: docker build failed${step ? ` at ${step}` : ""}: ${error}; nothing was stopped\n${tail}`,
      );
    }
    const ids = await imageIds(docker, [t.tags[0]!]);
    for (const [i, tag] of t.tags.entries())
      out.push({ node: t.nodes[i]!, tag, id: ids.get(t.tags[0]!) ?? "", built: true });
  }
  return out;
}

/** The topology with each built node running its content tag: what `topo up` renders (no build left). */
export function withBuiltImages(topology: Topology, images: readonly BuiltImage[]): Topology {
  const tags = new Map(images.map((i) => [i.node, i.tag]));
  return {
    ...topology,
    nodes: topology.nodes.map((n) => {
      const tag = tags.get(n.name);
      if (!tag) return n;
      const { build: _b, ...rest } = n;
      return { ...rest, image: tag };
    }),
  };
}

/**
 * Removes the images Topo built for a topology that no kept revision names (`topo down --prune-images`);
 * a tag a kept revision names stays, whatever shares its image. Resolves with the tags removed.
 */
export async function pruneBuiltImages(
  docker: Docker,
  topology: string,
  kept: readonly { images?: Record<string, string> }[],
): Promise<{ removed: string[]; keptTags: number }> {
  const inUse = new Set(kept.flatMap((h) => Object.values(h.images ?? {})));
  const r = await docker.run([
    "image",
    "ls",
    "--filter",
    `label=${LABEL_TOPOLOGY}=${topology}`,
    "--filter",
    `label=${LABEL_BUILD_HASH}`,
    "--format",
    "{{.Repository}}:{{.Tag}}",
  ]);
  if (r.code !== 0) throw new UserError(`docker image ls failed: ${lastLine(r.stderr)}`);
  const tags = r.stdout.split("\n").filter((t) => t && !t.endsWith(":<none>"));
  const removed: string[] = [];
  for (const tag of tags.filter((t) => !inUse.has(t))) {
    const rm = await docker.run(["rmi", tag]);
    if (rm.code !== 0) throw new UserError(`docker rmi ${tag} failed: ${lastLine(rm.stderr)}`);
    removed.push(tag);
  }
  return { removed, keptTags: tags.length - removed.length };
}
