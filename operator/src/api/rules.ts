// Cross-field rules of the model, each with its own message, checked on the expanded nodes (pure).
import { closest, distance } from "fastest-levenshtein";
import { MAX_FILE_CONTENT_BYTES, MAX_NAME_LENGTH, MAX_NODES, RESERVED_ENV } from "./constants.ts";
import { generatedNames } from "./expand.ts";
import { NO_NODES, type TopologySpec } from "./schema.ts";
import {
  fileOrigin,
  formatPath,
  hostPortRange,
  objectName,
  type Issue,
  type Path,
  type ResolvedNode,
} from "./topology.ts";

/** "did you mean" text for a misspelt name, or "" when nothing is close. */
export function suggest(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(word, candidates as string[]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : "";
}

const error = (path: Path, message: string): Issue => ({ path, message, severity: "error" });
const warning = (path: Path, message: string): Issue => ({ path, message, severity: "warning" });

/** Where a field of a node came from, for messages: the node's own entry, its template, or defaults. */
function at(node: ResolvedNode, field: string, ...rest: (string | number)[]): Path {
  return [...(node.origin.fields[field] ?? [...node.origin.path, field]), ...rest];
}

/** The first cycle through dependsOn, as a list of names that starts and ends on the same node. */
export function findCycle(nodes: readonly ResolvedNode[]): string[] | undefined {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep) || dep === name) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const n of nodes) {
    const cycle = visit(n.name);
    if (cycle) return cycle;
  }
  return undefined;
}

function checkNames(topology: string, spec: TopologySpec, nodes: readonly ResolvedNode[]): Issue[] {
  const issues: Issue[] = [];
  const explicit = new Map<string, number>();
  (spec.nodes ?? []).forEach((n, i) => {
    if (explicit.has(n.name))
      issues.push(
        error(
          ["spec", "nodes", i, "name"],
          `duplicate node name "${n.name}" (also spec.nodes[${explicit.get(n.name)}])`,
        ),
      );
    else explicit.set(n.name, i);
  });
  const generated = new Map<string, number>();
  (spec.generators ?? []).forEach((gen, g) => {
    for (const name of generatedNames(gen)) {
      const path = ["spec", "generators", g, "prefix"];
      if (explicit.has(name)) {
        issues.push(
          error(
            path,
            `generator "${gen.prefix}" makes node "${name}", which is also declared at spec.nodes[${explicit.get(name)}]; choose another prefix`,
          ),
        );
        break;
      }
      if (generated.has(name) && generated.get(name) !== g) {
        issues.push(
          error(
            path,
            `generator "${gen.prefix}" makes node "${name}", which generator ${generated.get(name)} also makes`,
          ),
        );
        break;
      }
      generated.set(name, g);
    }
  });
  if (nodes.length === 0) issues.push(error(spec.nodes ? ["spec", "nodes"] : ["spec"], NO_NODES));
  if (nodes.length > MAX_NODES)
    issues.push(
      error(
        ["spec", "nodes"],
        `a topology has at most ${MAX_NODES} nodes, this one has ${nodes.length} with its generators`,
      ),
    );
  for (const node of nodes) {
    const derived = objectName(topology, node.name);
    if (derived.length > MAX_NAME_LENGTH) {
      const path = node.origin.generator ? [...node.origin.path, "prefix"] : [...node.origin.path, "name"];
      issues.push(
        error(
          path,
          `object name "${derived}" is ${derived.length} characters; <topology>-<node> must be at most ${MAX_NAME_LENGTH}`,
        ),
      );
    }
  }
  return issues;
}

function checkEdges(nodes: readonly ResolvedNode[]): Issue[] {
  const issues: Issue[] = [];
  const names = nodes.map((n) => n.name);
  const known = new Set(names);
  for (const node of nodes) {
    for (const field of ["dependsOn", "connectsTo"] as const) {
      node[field].forEach((ref, j) => {
        // Edges a shape adds come after the template's own; point messages at the template's entry.
        const path = at(node, field, ...(node.origin.generator && field === "connectsTo" ? [] : [j]));
        if (ref === node.name)
          issues.push(
            error(
              path,
              `node "${node.name}" cannot ${field === "dependsOn" ? "depend on" : "connect to"} itself`,
            ),
          );
        else if (!known.has(ref)) issues.push(error(path, `unknown node "${ref}"${suggest(ref, names)}`));
      });
    }
  }
  const cycle = findCycle(nodes);
  if (cycle) {
    const first = nodes.find((n) => n.name === cycle[0])!;
    issues.push(error(at(first, "dependsOn"), `dependsOn forms a cycle: ${cycle.join(" -> ")}`));
  }
  return issues;
}

function checkNode(node: ResolvedNode): Issue[] {
  const issues: Issue[] = [];
  if (!node.image && !node.build)
    issues.push(
      error(
        [...node.origin.path, node.origin.generator ? "template" : "name"],
        `node "${node.name}" has no image: set image (or build) on the node, in spec.defaults or in its generator's template`,
      ),
    );
  if (node.build) issues.push(...checkBuild(node));
  const portNames = new Map<string, number>();
  const portNumbers = new Map<string, number>();
  node.ports.forEach((p, i) => {
    if (portNames.has(p.name))
      issues.push(
        error(at(node, "ports", i, "name"), `duplicate port name "${p.name}" on node "${node.name}"`),
      );
    portNames.set(p.name, i);
    const key = `${p.port}/${p.protocol}`;
    if (portNumbers.has(key))
      issues.push(
        error(at(node, "ports", i, "port"), `port ${key} is declared twice on node "${node.name}"`),
      );
    portNumbers.set(key, i);
  });
  const h = node.health;
  if (h && h.kind !== "exec" && h.portNumber === undefined) {
    const known = node.ports.map((p) => (typeof h.port === "number" ? String(p.port) : p.name));
    issues.push(
      error(
        at(node, "health", h.kind, "port"),
        `health port ${JSON.stringify(h.port)} is not one of node "${node.name}"'s ports${suggest(String(h.port), known)}`,
      ),
    );
  }
  if (node.volumes.length > 0 && node.replicas > 1) {
    issues.push(
      error(
        at(node, "replicas"),
        `node "${node.name}" has volumes, so it runs at most 1 replica (it asks for ${node.replicas})`,
      ),
    );
  }
  const volumeNames = new Set<string>();
  const mountPaths = new Set<string>();
  node.volumes.forEach((v, i) => {
    if (volumeNames.has(v.name))
      issues.push(error(at(node, "volumes", i, "name"), `duplicate volume name "${v.name}"`));
    if (mountPaths.has(v.mountPath))
      issues.push(error(at(node, "volumes", i, "mountPath"), `mountPath ${v.mountPath} is used twice`));
    volumeNames.add(v.name);
    mountPaths.add(v.mountPath);
  });
  node.env.forEach((e, i) => {
    if (RESERVED_ENV.includes(e.name))
      issues.push(
        error(at(node, "env", i, "name"), `${e.name} is set by Topo on every node and cannot be overridden`),
      );
  });
  return issues;
}

/** Where one of a node's files was declared (the node, its template or defaults): its entry in that list. */
const fileAt = (node: ResolvedNode, path: string, ...rest: string[]): Path => [
  ...(node.origin.fields[fileOrigin(path)] ?? [...node.origin.path, "files"]),
  ...rest,
];

/**
 * A node's files: not inside one of its volumes (the volume would hide it, or it the volume's file) nor
 * inside another file, and their content together at most MAX_FILE_CONTENT_BYTES (one ConfigMap).
 */
function checkFiles(node: ResolvedNode): Issue[] {
  const issues: Issue[] = [];
  const inside = (path: string, dir: string) =>
    path === dir || path.startsWith(`${dir.replace(/\/+$/, "")}/`);
  for (const f of node.files) {
    const volume = node.volumes.find((v) => inside(f.path, v.mountPath));
    if (volume)
      issues.push(
        error(
          fileAt(node, f.path, "path"),
          `file ${f.path} is inside volume "${volume.name}" (mountPath ${volume.mountPath}) of node "${node.name}": put it outside the volume's mountPath`,
        ),
      );
    const parent = node.files.find((o) => o !== f && inside(f.path, o.path));
    if (parent)
      issues.push(error(fileAt(node, f.path, "path"), `file ${f.path} is inside file ${parent.path}`));
  }
  const bytes = node.files.reduce((n, f) => n + Buffer.byteLength(f.content ?? "", "utf8"), 0);
  if (bytes > MAX_FILE_CONTENT_BYTES) {
    const largest = [...node.files].sort(
      (a, b) => Buffer.byteLength(b.content ?? "") - Buffer.byteLength(a.content ?? ""),
    )[0]!;
    issues.push(
      error(
        fileAt(node, largest.path, "content"),
        `the files of node "${node.name}" hold ${bytes} bytes of content, more than ${MAX_FILE_CONTENT_BYTES / 1024} KiB (the largest is ${largest.path}); mount larger data from a volume or build it into the image`,
      ),
    );
  }
  return issues;
}

function checkDuplicateFiles(spec: TopologySpec): Issue[] {
  const issues: Issue[] = [];
  const lists: [Path, { path: string }[] | undefined][] = [
    [["spec", "defaults", "files"], spec.defaults?.files],
    ...(spec.nodes ?? []).map((n, i): [Path, { path: string }[] | undefined] => [
      ["spec", "nodes", i, "files"],
      n.files,
    ]),
    ...(spec.generators ?? []).map((g, i): [Path, { path: string }[] | undefined] => [
      ["spec", "generators", i, "template", "files"],
      g.template?.files,
    ]),
  ];
  for (const [path, files] of lists) {
    const seen = new Map<string, number>();
    files?.forEach((f, i) => {
      if (seen.has(f.path))
        issues.push(
          error(
            [...path, i, "path"],
            `duplicate file path ${f.path} (also ${formatPath([...path, seen.get(f.path)!])})`,
          ),
        );
      else seen.set(f.path, i);
    });
  }
  return issues;
}

function checkDuplicateEnv(spec: TopologySpec): Issue[] {
  const issues: Issue[] = [];
  const lists: [Path, { name: string }[] | undefined][] = [
    [["spec", "defaults", "env"], spec.defaults?.env],
    ...(spec.nodes ?? []).map((n, i): [Path, { name: string }[] | undefined] => [
      ["spec", "nodes", i, "env"],
      n.env,
    ]),
    ...(spec.generators ?? []).map((g, i): [Path, { name: string }[] | undefined] => [
      ["spec", "generators", i, "template", "env"],
      g.template?.env,
    ]),
  ];
  for (const [path, env] of lists) {
    const seen = new Set<string>();
    env?.forEach((e, i) => {
      if (seen.has(e.name))
        issues.push(error([...path, i, "name"], `duplicate environment variable "${e.name}"`));
      seen.add(e.name);
    });
  }
  return issues;
}

/**
 * Host ports Compose publishes: a node with N replicas takes hostPort..hostPort+N-1 (one per container;
 * Kubernetes ignores hostPort). No two ranges of one protocol may overlap, in one node or across nodes.
 */
function checkHostPorts(nodes: readonly ResolvedNode[]): Issue[] {
  const issues: Issue[] = [];
  const taken: { node: ResolvedNode; index: number; protocol: string; first: number; last: number }[] = [];
  const show = (r: { first: number; last: number }) =>
    r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`;
  for (const node of nodes) {
    node.ports.forEach((p, i) => {
      const range = hostPortRange(node, p);
      if (!range) return;
      const path = at(node, "ports", i, "hostPort");
      if (range.last > 65535) {
        issues.push(
          error(
            path,
            `node "${node.name}" runs ${node.replicas} replicas, so it publishes hostPort ${range.first}-${range.last}, past 65535`,
          ),
        );
        return;
      }
      const other = taken.find(
        (t) => t.protocol === p.protocol && t.first <= range.last && range.first <= t.last,
      );
      if (other) {
        const whose = other.node === node ? "this node's" : `node "${other.node.name}"'s`;
        issues.push(
          error(
            path,
            `hostPort ${show(range)}/${p.protocol} of node "${node.name}" overlaps ${whose} hostPort ${show(other)} (${formatPath(at(other.node, "ports", other.index, "hostPort"))})`,
          ),
        );
      } else taken.push({ node, index: i, protocol: p.protocol, ...range });
    });
  }
  return issues;
}

/**
 * A task runs to completion: no ports, no health check, one replica, and nothing connects to it (a node
 * that needs it done first dependsOn it). Each task is warned that a rollback does not undo what it did.
 */
function checkTasks(nodes: readonly ResolvedNode[]): Issue[] {
  const issues: Issue[] = [];
  const tasks = new Set(nodes.filter((n) => n.task).map((n) => n.name));
  for (const node of nodes) {
    node.connectsTo.forEach((ref, j) => {
      if (!tasks.has(ref)) return;
      const path = at(node, "connectsTo", ...(node.origin.generator ? [] : [j]));
      issues.push(
        error(
          path,
          `node "${node.name}" cannot connect to "${ref}": it is a task, which runs to completion and has no ports; to start after it, use dependsOn`,
        ),
      );
    });
    if (!node.task) continue;
    const task = `node "${node.name}" is a task`;
    if (node.ports.length > 0)
      issues.push(
        error(
          at(node, "ports"),
          `${task}: it has no ports (it runs to completion and nothing connects to it)`,
        ),
      );
    if (node.health)
      issues.push(
        error(at(node, "health"), `${task}: it has no health check (it succeeds when its command exits 0)`),
      );
    if (node.replicas !== 1)
      issues.push(error(at(node, "replicas"), `${task}: it runs exactly 1 replica, not ${node.replicas}`));
    issues.push(
      warning(
        at(node, "task"),
        `task "${node.name}" runs once per revision that changes it, and a rollback does not undo it: what a bad release's task did (a migration) stays done when the previous release comes back, so it must be backward compatible with that release (expand/contract: add first, remove a release later)`,
      ),
    );
  }
  return issues;
}

/** A repository with a tag or a digest: `name:tag` (not a registry's `host:port/name`) or `name@sha256:...`. */
export const hasTagOrDigest = (image: string) => image.includes("@") || /:[^/]*$/.test(image);

function checkBuild(node: ResolvedNode): Issue[] {
  const issues: Issue[] = [];
  if (node.image && hasTagOrDigest(node.image))
    issues.push(
      error(
        at(node, "image"),
        `with build, image names the repository only (${node.image.replace(/(@.*|:[^/]*)$/, "")}): the tag is the hash of the build inputs`,
      ),
    );
  for (const arg of Object.keys(node.build?.args ?? {}))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg))
      issues.push(
        error(
          at(node, "build", "args", arg),
          `build argument "${arg}" must be a name: letters, digits and '_', not starting with a digit`,
        ),
      );
  return issues;
}

/**
 * What a cluster cannot run: a node with build names no image it can pull (the operator never builds).
 * `topo render --images-from-build` writes the Topology with the built images pinned and build removed.
 */
export function checkClusterImages(nodes: readonly ResolvedNode[]): Issue[] {
  return nodes
    .filter((n) => n.build)
    .map((n) =>
      error(
        at(n, "build"),
        `node "${n.name}" is built from source (build.context ${n.build!.context}) and has no image the cluster can pull: the operator never builds; run \`topo build FILE --push\` (or --load), then apply \`topo render FILE --images-from-build --topology\``,
      ),
    );
}

const imageOf = (node: ResolvedNode) =>
  node.build ? `the image built from ${node.build.context}` : `image ${node.image}`;

/** Warnings: things that work but may not do what the author expects. */
function checkWarnings(nodes: readonly ResolvedNode[]): Issue[] {
  const issues: Issue[] = [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const node of nodes) {
    for (const peer of new Set([...node.connectsTo, ...node.dependsOn])) {
      // A task has no ports by design: depending on it is ordering, not a link.
      if (byName.get(peer)?.ports.length === 0 && !byName.get(peer)?.task) {
        issues.push(
          warning(
            at(node, node.connectsTo.includes(peer) ? "connectsTo" : "dependsOn"),
            `node "${peer}" has no ports, so it is left out of ${node.name}'s TOPO_PEERS and nothing can connect to it`,
          ),
        );
      }
    }
    const h = node.health;
    if (h?.kind === "http")
      issues.push(
        warning(
          at(node, "health"),
          `compose runs this http check with wget or curl inside the container: ${imageOf(node)} must have one of them`,
        ),
      );
    if (h?.kind === "tcp")
      issues.push(
        warning(
          at(node, "health"),
          `compose runs this tcp check with nc (or bash) inside the container: ${imageOf(node)} must have one of them`,
        ),
      );
  }
  return issues;
}

/** Every cross-field rule; errors first, then warnings. */
export function checkRules(topology: string, spec: TopologySpec, nodes: readonly ResolvedNode[]): Issue[] {
  return [
    ...checkNames(topology, spec, nodes),
    ...checkDuplicateEnv(spec),
    ...checkDuplicateFiles(spec),
    ...checkEdges(nodes),
    ...nodes.flatMap((n) => checkNode(n)),
    ...nodes.flatMap((n) => checkFiles(n)),
    ...checkHostPorts(nodes),
    ...checkTasks(nodes),
    ...checkWarnings(nodes),
  ];
}
