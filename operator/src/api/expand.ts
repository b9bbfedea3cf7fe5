// Expands generators into nodes and merges defaults and templates under each node (pure).
import type { Defaults, Generator, Node, NodeFields, Shape, TopologySpec } from "./schema.ts";
import { fileOrigin, type ResolvedFile } from "./topology.ts";
import { PLACEMENT_DEFAULTS, TASK_DEFAULTS, FILE_MODE_DEFAULTS } from "./constants.ts";
import type { NodeOrigin, Path, ResolvedHealth, ResolvedNode, ResolvedPlacement } from "./topology.ts";

const HEALTH_DEFAULTS = { interval: "10s", timeout: "2s", retries: 3, startPeriod: "0s" };

/** What spec.defaults sets for services only: a task has no ports, no health and one replica. */
const NOT_FOR_TASKS = ["ports", "health", "replicas"];

/** The names a generator makes: prefix-0 .. prefix-(count-1). */
export function generatedNames(gen: Pick<Generator, "prefix" | "count">): string[] {
  return Array.from({ length: gen.count }, (_, i) => `${gen.prefix}-${i}`);
}

/** The connectsTo edges a shape draws between generated nodes, as [from, to] indexes. */
export function shapeEdges(shape: Shape, count: number): [number, number][] {
  const edges: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    if (shape === "linear" && i + 1 < count) edges.push([i, i + 1]);
    if (shape === "ring" && count > 1) edges.push([i, (i + 1) % count]);
    if (shape === "star" && i > 0) edges.push([i, 0]);
    if (shape === "mesh") for (let j = 0; j < count; j++) if (j !== i) edges.push([i, j]);
  }
  return edges;
}

type Layer = { fields: NodeFields | Defaults; path: Path };

/** Merges layers, last wins per field; env merges by name. Records where each field came from. */
function mergeLayers(layers: Layer[]): { fields: NodeFields; origin: NodeOrigin["fields"] } {
  const fields: Record<string, unknown> = {};
  const origin: NodeOrigin["fields"] = {};
  for (const { fields: layer, path } of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (key === "env" && Array.isArray(fields.env)) {
        const merged = new Map((fields.env as { name: string }[]).map((e) => [e.name, e]));
        for (const e of value as { name: string }[]) merged.set(e.name, e);
        fields.env = [...merged.values()];
      } else if (key === "files") {
        // Files merge by path, as env by name: a node's file replaces the one defaults set at its path.
        const merged = new Map(((fields.files ?? []) as { path: string }[]).map((f) => [f.path, f]));
        (value as { path: string }[]).forEach((f, j) => {
          merged.set(f.path, f);
          origin[fileOrigin(f.path)] = [...path, key, j];
        });
        fields.files = [...merged.values()];
      } else {
        fields[key] = value;
      }
      origin[key] = [...path, key];
    }
  }
  return { fields: fields as NodeFields, origin };
}

function resolveFiles(fields: NodeFields): ResolvedFile[] {
  return (fields.files ?? [])
    .map((f) => ({
      path: f.path,
      ...(f.secretRef ? { secretRef: f.secretRef } : { content: f.content ?? "" }),
      mode: f.mode
        ? parseInt(f.mode, 8)
        : f.secretRef
          ? FILE_MODE_DEFAULTS.secret
          : FILE_MODE_DEFAULTS.content,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function resolveHealth(fields: NodeFields): ResolvedHealth | undefined {
  const h = fields.health;
  if (!h) return undefined;
  const base = {
    interval: h.interval ?? HEALTH_DEFAULTS.interval,
    timeout: h.timeout ?? HEALTH_DEFAULTS.timeout,
    retries: h.retries ?? HEALTH_DEFAULTS.retries,
    startPeriod: h.startPeriod ?? HEALTH_DEFAULTS.startPeriod,
  };
  const findPort = (ref: string | number) =>
    (fields.ports ?? []).find((p) => (typeof ref === "number" ? p.port === ref : p.name === ref))?.port;
  if (h.http)
    return { kind: "http", path: h.http.path, port: h.http.port, portNumber: findPort(h.http.port), ...base };
  if (h.tcp) return { kind: "tcp", port: h.tcp.port, portNumber: findPort(h.tcp.port), ...base };
  return { kind: "exec", command: h.exec?.command ?? [], ...base };
}

/** spec.placement under the node's own (or its template's), field by field, over the defaults. */
function resolvePlacement(spec: TopologySpec, fields: NodeFields): ResolvedPlacement {
  const own = fields.placement ?? {};
  const all = spec.placement ?? {};
  return {
    spread: own.spread ?? all.spread ?? PLACEMENT_DEFAULTS.spread,
    maxSkew: own.maxSkew ?? all.maxSkew ?? PLACEMENT_DEFAULTS.maxSkew,
    whenUnsatisfiable: own.whenUnsatisfiable ?? all.whenUnsatisfiable ?? PLACEMENT_DEFAULTS.whenUnsatisfiable,
  };
}

function resolveNode(
  name: string,
  fields: NodeFields,
  origin: NodeOrigin,
  placement: ResolvedPlacement,
): ResolvedNode {
  return {
    name,
    image: fields.image ?? "",
    ...(fields.build
      ? {
          build: {
            context: fields.build.context,
            dockerfile: fields.build.dockerfile ?? "Dockerfile",
            args: fields.build.args ?? {},
            ...(fields.build.target ? { target: fields.build.target } : {}),
          },
        }
      : {}),
    replicas: fields.replicas ?? 1,
    ...(fields.command ? { command: fields.command } : {}),
    ...(fields.args ? { args: fields.args } : {}),
    ports: (fields.ports ?? []).map((p) => ({ ...p, protocol: p.protocol ?? "TCP" })),
    env: fields.env ?? [],
    ...(fields.health ? { health: resolveHealth(fields) } : {}),
    volumes: fields.volumes ?? [],
    files: resolveFiles(fields),
    ...(fields.resources ? { resources: fields.resources } : {}),
    dependsOn: [...new Set(fields.dependsOn ?? [])],
    connectsTo: [...new Set(fields.connectsTo ?? [])],
    ...(fields.task
      ? {
          task: {
            retries: fields.task.retries ?? TASK_DEFAULTS.retries,
            timeout: fields.task.timeout ?? TASK_DEFAULTS.timeout,
          },
        }
      : {}),
    placement,
    origin,
  };
}

/** Every node of the topology, explicit ones first, then each generator's in order. */
export function expandNodes(spec: TopologySpec): ResolvedNode[] {
  const all: Layer[] = spec.defaults ? [{ fields: spec.defaults, path: ["spec", "defaults"] }] : [];
  const forTasks: Layer[] = all.map((l) => ({
    ...l,
    fields: Object.fromEntries(Object.entries(l.fields).filter(([k]) => !NOT_FOR_TASKS.includes(k))),
  }));
  const defaultsOf = (fields: NodeFields) => (fields.task ? forTasks : all);
  const nodes = (spec.nodes ?? []).map((node: Node, i) => {
    const { name, ...own } = node;
    const path = ["spec", "nodes", i];
    const merged = mergeLayers([...defaultsOf(own), { fields: own, path }]);
    const origin = { path, fields: merged.origin };
    return resolveNode(name, merged.fields, origin, resolvePlacement(spec, merged.fields));
  });
  (spec.generators ?? []).forEach((gen, g) => {
    const path = ["spec", "generators", g];
    const names = generatedNames(gen);
    // Appended in place: a mesh member has count - 1 of them.
    const extra = new Map<number, string[]>();
    for (const [from, to] of shapeEdges(gen.shape, gen.count)) {
      const list = extra.get(from);
      if (list) list.push(names[to]!);
      else extra.set(from, [names[to]!]);
    }
    // Every member has the same template and defaults: merged once (resolved nodes are values, never
    // changed after this, so members may share the merged lists).
    const template = gen.template ?? {};
    const merged = mergeLayers([...defaultsOf(template), { fields: template, path: [...path, "template"] }]);
    names.forEach((name, i) => {
      const connectsTo = [...(merged.fields.connectsTo ?? []), ...(extra.get(i) ?? [])];
      const fields = { ...merged.fields, ...(connectsTo.length ? { connectsTo } : {}) };
      const origin: NodeOrigin = {
        path,
        fields: { connectsTo: [...path, "shape"], ...merged.origin },
        generator: { index: g, prefix: gen.prefix, ordinal: i, shape: gen.shape },
      };
      nodes.push(resolveNode(name, fields, origin, resolvePlacement(spec, fields)));
    });
  });
  return nodes;
}
