// What applying a topology would do, decided from what was read (pure): per node create / update / restart /
// unchanged / delete, per object its field-level changes, the revision it becomes and the start order of the
// nodes that (re)start. kube.ts and compose.ts gather the inputs; format.ts prints the result.
import type { Topology } from "../api/topology.ts";
import { orderLayers } from "../graph/graph.ts";
import type { FieldChange } from "./diff.ts";

export type Target = "kube" | "compose";
export type NodeVerdict = "create" | "update" | "restart" | "unchanged" | "delete";
export type ObjectAction = "create" | "change" | "delete" | "unchanged";

export interface ObjectPlan {
  /** Deployment, Service... on Kubernetes; service, network, volume on Compose. */
  kind: string;
  name: string;
  action: ObjectAction;
  /** What would change (action "change"); empty otherwise. */
  changes: FieldChange[];
  /** Why, when it is not plain: an object taken over, a container recreated by Compose. */
  note?: string;
}

export interface NodePlan {
  name: string;
  verdict: NodeVerdict;
  objects: ObjectPlan[];
}

export interface RevisionPlan {
  /** The revision running now; absent before the first. */
  current?: number;
  /** The revision applying would make (the current one when it is not new). */
  next: number;
  /** Whether applying starts a new revision. */
  new: boolean;
}

export interface Plan {
  target: Target;
  topology: string;
  /** Kubernetes: the namespace; Compose: the project. */
  scope: string;
  /** Whether the Topology (or the Compose project) exists yet: a new one plans as all-create. */
  exists: boolean;
  nodes: NodePlan[];
  /** Objects of no node (Compose networks and volumes). */
  shared: ObjectPlan[];
  revision: RevisionPlan;
  /** The nodes that start new pods or containers, in dependency layers (layer 0 first). */
  startOrder: string[][];
  /** The tasks that would run: Kubernetes creates a Job of their template, Compose runs their container. */
  tasks?: string[];
  /** Compose: the services whose containers would be recreated. */
  recreate?: string[];
  notes: string[];
  /** Whether applying would change anything. */
  changed: boolean;
}

/** The verdict of a node that is still desired, from its objects and whether its pods change. */
export function nodeVerdict(objects: readonly ObjectPlan[], opts: { created: boolean; restarts: boolean }) {
  if (opts.created) return "create" as const;
  if (opts.restarts) return "restart" as const;
  return objects.some((o) => o.action !== "unchanged") ? ("update" as const) : ("unchanged" as const);
}

/** The start order of the nodes that start anew (created or restarted), in the topology's dependency layers. */
export function startOrderOf(topology: Topology, nodes: readonly NodePlan[]): string[][] {
  const starting = new Set(
    nodes.filter((n) => n.verdict === "create" || n.verdict === "restart").map((n) => n.name),
  );
  return orderLayers(topology.nodes)
    .map((layer) => layer.filter((n) => starting.has(n)))
    .filter((layer) => layer.length > 0);
}

/** Whether any node or shared object would change. */
export function anyChange(nodes: readonly NodePlan[], shared: readonly ObjectPlan[]): boolean {
  return nodes.some((n) => n.verdict !== "unchanged") || shared.some((o) => o.action !== "unchanged");
}

/** Desired nodes first (in declaration order), then the nodes that go, by name. */
export function orderNodes(topology: Topology, nodes: NodePlan[]): NodePlan[] {
  const index = new Map(topology.nodes.map((n, i) => [n.name, i]));
  const rank = (n: NodePlan) => index.get(n.name) ?? Number.MAX_SAFE_INTEGER;
  return [...nodes].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
