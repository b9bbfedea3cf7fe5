// planCompose: the plan of a topology against the Compose project `topo up` runs (pure). The services are
// compared with the last revision's compose file field by field; whether a container is recreated is
// Compose's own rule: its config-hash label differs from the hash of the new service (`compose config
// --hash`), or the image its tag names is another one now. A replica count that changes adds or removes
// containers without touching the others; orphans (services no longer in the file) are removed.
import type { Topology } from "../api/topology.ts";
import type { ComposeDocument } from "../render/compose/index.ts";
import { diffValues } from "./diff.ts";
import {
  anyChange,
  nodeVerdict,
  orderNodes,
  startOrderOf,
  type NodePlan,
  type ObjectPlan,
  type Plan,
} from "./plan.ts";

/** A container of the project, with the labels Compose decides a recreate on. */
export interface ProjectContainer {
  id: string;
  service: string;
  /** running, exited... */
  status: string;
  /** com.docker.compose.config-hash */
  configHash: string;
  /** com.docker.compose.image (Compose v2): the image id it was created from; "" when not recorded. */
  imageId: string;
}

export interface ComposePlanInput {
  topology: Topology;
  /** The compose document `topo up` would run. */
  next: ComposeDocument;
  /** The compose document of the revision the project runs (from the state directory); undefined if none. */
  previous?: Pick<ComposeDocument, "services" | "networks" | "volumes">;
  containers: readonly ProjectContainer[];
  /** Compose's config hash of each service of `next`. */
  serviceHashes: Readonly<Record<string, string>>;
  /** The id of each image `next` names, as the engine has it now; absent when it has not got it. */
  imageIds: Readonly<Record<string, string>>;
  /** The tasks `topo up` would run (local/tasks.ts pendingTasks); none when absent. */
  tasks?: string[];
  /** What chooseRevision (local/runtime.ts) says `topo up` runs. */
  revision: { current?: number; next: number; verb: "starting" | "checking" | "retrying" };
  notes?: string[];
}

/** Whether Compose would recreate this container for `service` (see convergence's mustRecreate). */
export function mustRecreate(
  c: ProjectContainer,
  hash: string | undefined,
  imageId: string | undefined,
): boolean {
  if (hash !== undefined && c.configHash !== hash) return true;
  return !!(c.imageId && imageId && c.imageId !== imageId);
}

function sharedObjects(input: ComposePlanInput): ObjectPlan[] {
  const out: ObjectPlan[] = [];
  const kinds = [
    ["network", input.next.networks, input.previous?.networks],
    ["volume", input.next.volumes ?? {}, input.previous?.volumes],
  ] as const;
  for (const [kind, next, prev] of kinds) {
    const before = prev ?? {};
    for (const name of Object.keys(next))
      out.push({
        kind,
        name,
        action: name in before ? "unchanged" : "create",
        changes: [],
      });
    for (const name of Object.keys(before))
      if (!(name in next))
        out.push(
          kind === "network"
            ? { kind, name, action: "delete", changes: [] }
            : { kind, name, action: "unchanged", changes: [], note: "no longer used; kept with its data" },
        );
  }
  return out;
}

export function planCompose(input: ComposePlanInput): Plan {
  const { topology, next, previous, containers } = input;
  const nodes: NodePlan[] = [];
  const recreate: string[] = [];
  for (const n of topology.nodes) {
    const mine = containers.filter((c) => c.service === n.name);
    const service = next.services[n.name]!;
    const before = previous?.services[n.name];
    const changes = before ? diffValues(before, service) : [];
    const recreated = mine.filter((c) =>
      mustRecreate(c, input.serviceHashes[n.name], input.imageIds[String(service.image)]),
    );
    const stopped = mine.filter((c) => c.status !== "running" && !recreated.includes(c));
    const replicas = n.replicas;
    const notes = [
      recreated.length ? `${recreated.length} of ${mine.length} containers recreated` : "",
      stopped.length ? `${stopped.length} stopped containers started` : "",
      mine.length && mine.length !== replicas ? `scaled from ${mine.length} to ${replicas}` : "",
    ].filter(Boolean);
    const action =
      !mine.length && replicas > 0
        ? "create"
        : changes.length || recreated.length || stopped.length || mine.length !== replicas
          ? "change"
          : "unchanged";
    const object: ObjectPlan = {
      kind: "service",
      name: n.name,
      action,
      changes,
      ...(notes.length ? { note: notes.join("; ") } : {}),
    };
    if (recreated.length) recreate.push(n.name);
    nodes.push({
      name: n.name,
      verdict: nodeVerdict([object], {
        created: !mine.length && replicas > 0,
        restarts: recreated.length > 0,
      }),
      objects: [object],
    });
  }
  // Orphans: services of the running project (or the last file) that the topology no longer has.
  const desired = new Set(topology.nodes.map((n) => n.name));
  const gone = new Set([
    ...containers.map((c) => c.service).filter((s) => s && !desired.has(s)),
    ...Object.keys(previous?.services ?? {}).filter((s) => !desired.has(s)),
  ]);
  for (const name of gone) {
    const count = containers.filter((c) => c.service === name).length;
    nodes.push({
      name,
      verdict: "delete",
      objects: [
        {
          kind: "service",
          name,
          action: "delete",
          changes: [],
          ...(count ? { note: `${count} container${count === 1 ? "" : "s"} removed` } : {}),
        },
      ],
    });
  }
  const ordered = orderNodes(topology, nodes);
  const shared = sharedObjects(input);
  const { current, next: revision, verb } = input.revision;
  const notes = [...(input.notes ?? [])];
  if (verb === "retrying")
    notes.push(`revision ${revision} did not become healthy last time; topo up tries it again`);
  return {
    target: "compose",
    topology: topology.name,
    scope: topology.name,
    exists: containers.length > 0,
    nodes: ordered,
    shared,
    revision: { ...(current ? { current } : {}), next: revision, new: verb === "starting" },
    startOrder: startOrderOf(topology, ordered),
    recreate,
    ...(input.tasks?.length ? { tasks: input.tasks } : {}),
    notes,
    changed: anyChange(ordered, shared) || verb === "starting" || !!input.tasks?.length,
  };
}
