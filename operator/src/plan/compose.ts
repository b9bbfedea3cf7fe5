// The reads behind a Compose plan: the state directory `topo up` keeps (state.json and the compose file of
// the revision it runs), the project's containers with the labels Compose decides on, and Compose's own
// hash of each service of the new file (`config --hash`, read from a temporary copy outside the state
// directory, removed at once). planCompose decides. Nothing of the project or its state is written.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import type { Topology } from "../api/topology.ts";
import { UserError } from "../errors.ts";
import type { IoContext } from "../io.ts";
import { planBuilds, withBuiltImages } from "../local/build.ts";
import { detect, type Compose } from "../local/compose.ts";
import { lastLine, projectFilter, run } from "../local/docker.ts";
import { chooseRevision } from "../local/runtime.ts";
import { resolveSecrets } from "../local/secrets.ts";
import {
  hashOf,
  readState,
  REVISION_FILE_DIRS,
  StateStore,
  stateDir,
  stateDirOfComposeFile,
} from "../local/state.ts";
import { pendingTasks } from "../local/tasks.ts";
import {
  renderCompose,
  renderComposeYaml,
  SecretVariableConflictError,
  type ComposeDocument,
} from "../render/compose/index.ts";
import { planCompose, type ProjectContainer } from "./compose-plan.ts";
import type { Plan } from "./plan.ts";

/** The override file `topo up` adds beside the topology file (local/runtime.ts). */
const OVERRIDE = "docker-compose.override.yml";
const CONFIG_HASH = "com.docker.compose.config-hash";
const IMAGE = "com.docker.compose.image";
const SERVICE = "com.docker.compose.service";

async function projectContainers(compose: Compose, project: string): Promise<ProjectContainer[]> {
  const ids = (await compose.docker.listContainers(projectFilter(project))).map((c) => c.id);
  if (!ids.length) return [];
  const format = `{{.Id}}\t{{index .Config.Labels "${SERVICE}"}}\t{{.State.Status}}\t{{index .Config.Labels "${CONFIG_HASH}"}}\t{{index .Config.Labels "${IMAGE}"}}`;
  const r = await compose.docker.run(["inspect", "--type", "container", "--format", format, ...ids]);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", service = "", status = "", configHash = "", imageId = ""] = line.split("\t");
      return { id, service, status, configHash, imageId: imageId === "<no value>" ? "" : imageId };
    });
}

/** Compose's hash of every service of `yaml`, as it labels the containers it creates from it. */
async function serviceHashes(
  compose: Compose,
  ctx: IoContext,
  o: { project: string; yaml: string; override?: string; env: NodeJS.ProcessEnv; projectDirectory?: string },
): Promise<Record<string, string>> {
  // Compose 1.29 reads `-f -` twice (and finds it empty the second time): a temporary file, outside
  // the state directory.
  const dir = mkdtempSync(join(tmpdir(), "topo-plan-"));
  try {
    const file = join(dir, "docker-compose.yml");
    writeFileSync(file, o.yaml);
    const [cmd, ...args] = compose.command(
      {
        name: o.project,
        files: [file, ...(o.override ? [o.override] : [])],
        // Relative paths (content files at ../../files/...) resolve as from topo up's own compose file:
        // Compose 1.29 hashes a bind mount's absolute path.
        ...(o.projectDirectory ? { projectDirectory: o.projectDirectory } : {}),
      },
      ["config", "--hash", "*"],
    );
    const r = await run(cmd!, args, { env: { ...ctx.env, ...o.env } });
    if (r.code !== 0) throw new UserError(`compose config failed: ${lastLine(r.stderr)}`);
    return Object.fromEntries(
      r.stdout
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((p) => p.length === 2)
        .map(([service, hash]) => [service!, hash!]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function imageIds(compose: Compose, images: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    [...new Set(images)].map(async (image) => {
      const r = await compose.docker.run(["image", "inspect", "--format", "{{.Id}}", image]);
      if (r.code === 0 && r.stdout.trim()) out[image] = r.stdout.trim();
    }),
  );
  return out;
}

/** Plans `topology` (from `file`) against the Compose project of its name on the local engine. */
export async function planLocally(ctx: IoContext, file: string, source: Topology): Promise<Plan> {
  const path = resolve(ctx.cwd, file);
  const compose = await detect(ctx.env);
  // Nodes with build run their content tags, as topo up would tag them (nothing is built here).
  const builds = await planBuilds(source, path);
  const topology = withBuiltImages(
    source,
    builds.flatMap((b) => b.nodes.map((node, i) => ({ node, tag: b.tags[i]!, id: "", built: false }))),
  );
  let next: ComposeDocument;
  let yaml: string;
  try {
    // As topo up renders it for this Compose (local/runtime.ts).
    const opts = { compose: compose.version, ...REVISION_FILE_DIRS };
    next = renderCompose(topology, opts);
    yaml = renderComposeYaml(topology, opts);
  } catch (err) {
    if (err instanceof SecretVariableConflictError) throw new UserError(err.message, { cause: err });
    throw err;
  }
  const notes: string[] = [];
  const store = new StateStore(stateDir(path, topology.name, ctx.env));
  const state = store.read();
  const previousFile = state && state.revision > 0 ? store.composeFile(state.revision) : undefined;
  const previous =
    previousFile && existsSync(previousFile)
      ? (parse(readFileSync(previousFile, "utf8")) as ComposeDocument)
      : undefined;
  if (state && !previous)
    notes.push(`the compose file of revision ${state.revision} is gone from ${store.dir}`);
  const choice = chooseRevision(
    state ?? { topology: topology.name, file: path, revision: 0, history: [] },
    hashOf(yaml),
    store.revisions(),
  );
  let secrets: Record<string, string> = {};
  try {
    secrets = resolveSecrets(topology, path, ctx.env);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    notes.push(`topo up would stop here: ${err.message.split("\n").join(" ")}`);
  }
  const override = join(dirname(path), OVERRIDE);
  const [containers, states, hashes, ids] = await Promise.all([
    projectContainers(compose, topology.name),
    compose.docker.listContainers(projectFilter(topology.name)),
    serviceHashes(compose, ctx, {
      project: topology.name,
      yaml,
      ...(existsSync(override) ? { override } : {}),
      ...(previousFile && existsSync(previousFile) ? { projectDirectory: dirname(previousFile) } : {}),
      env: secrets,
    }),
    imageIds(
      compose,
      topology.nodes.map((n) => String(next.services[n.name]!.image)),
    ),
  ]);
  return planCompose({
    topology,
    next,
    ...(previous ? { previous } : {}),
    containers,
    serviceHashes: hashes,
    imageIds: ids,
    // What topo up decides the same way: a task runs unless a container ran its configuration to success.
    tasks: pendingTasks(topology, states),
    revision: {
      ...(state?.revision ? { current: state.revision } : {}),
      next: choice.revision,
      verb: choice.verb,
    },
    notes,
  });
}

/**
 * Plans against the Compose project of the topology's name that `topo up` runs here, found through its
 * containers (their compose file lives in the state directory, whose state.json names the topology file).
 */
export async function planProject(ctx: IoContext, topology: Topology): Promise<Plan> {
  const compose = await detect(ctx.env);
  const containers = await compose.docker.listContainers(projectFilter(topology.name));
  const dir = containers.map((c) => stateDirOfComposeFile(c.configFiles[0] ?? "")).find(Boolean);
  const state = dir ? readState(dir) : undefined;
  if (!state) throw new UserError(`no Compose project ${topology.name} that topo up started runs here`);
  return planLocally(ctx, state.file, topology);
}
