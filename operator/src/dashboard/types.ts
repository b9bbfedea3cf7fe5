// The dashboard's JSON API: the shapes the server sends and the front end reads (type-only, shared by both).
import type { Plan } from "../plan/plan.ts";

export type NodePhase =
  | "Pending"
  | "Progressing"
  | "Ready"
  | "Degraded"
  | "RolledBack"
  | "Invalid"
  | "Waiting"
  // A task's: it runs to completion.
  | "Running"
  | "Succeeded"
  | "Failed";

export interface TopologySummary {
  /** The Kubernetes namespace, or "local" for a Compose project on this machine. */
  namespace: string;
  name: string;
  source: "kube" | "compose";
  phase: string;
  readyNodes: number;
  totalNodes: number;
  revision?: number;
  lastGoodRevision?: number;
  lastRollback?: { revision: number; at: string; reason?: string };
  message?: string;
}

export interface NodeEnv {
  name: string;
  /** Literal values only; a value from a Secret is never sent, only the Secret's name. */
  value?: string;
  secretRef?: string;
}

export interface GraphNode {
  name: string;
  image: string;
  replicas: number;
  readyReplicas: number;
  phase: NodePhase;
  message?: string;
  /** On how many cluster nodes its Ready pods run (Kubernetes only). */
  spreadOver?: number;
  ports: { name: string; port: number; protocol: string; hostPort?: number }[];
  env: NodeEnv[];
  /** Start order layer over dependsOn (0 = depends on nothing). */
  layer: number;
  generator?: string;
  shape?: "linear" | "ring" | "star" | "mesh";
  connectsTo: string[];
  /**
   * In the grouped view only: how many of the node's connectsTo are members of the collapsed group it is
   * in, left out of `connectsTo` (a member of a 250-node mesh would list 249).
   */
  connectsWithin?: number;
  dependsOn: string[];
  /** Set on a task: a node that runs to completion once per revision that changes it. */
  task?: { retries: number; timeout: string };
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: "connectsTo" | "dependsOn";
}

/** A large group drawn as one shape until opened (groups.ts). */
export interface GraphGroup {
  /** `group:<generator>`, or `group:<first member>` for a written-out mesh. */
  id: string;
  name: string;
  shape: string;
  members: string[];
  /** Members by phase: the health summary. */
  phases: Record<string, number>;
  /** Members that are not Ready (nor a task that succeeded): drawn on their own beside the group. */
  alone: string[];
}

/** An opened full mesh sent without its edges: every member connects to every other (groups.ts). */
export interface GraphMesh {
  id: string;
  name: string;
  members: string[];
  /** Its edges, left out. */
  edges: number;
}

export interface HistoryItem {
  revision: number;
  outcome: string;
  at: string;
  reason?: string;
  images?: Record<string, string>;
}

export interface TopologyDetail extends TopologySummary {
  nodes: GraphNode[];
  /** In the grouped view, between what is drawn: an edge into a collapsed group ends at its id. */
  edges: GraphEdge[];
  /** In the grouped view only (`?view=grouped`): the collapsed groups. */
  groups?: GraphGroup[];
  /** In the grouped view only: opened full meshes of more than 2,000 edges, sent without those edges. */
  meshes?: GraphMesh[];
  /** In the grouped view only: every declared edge, counted (`edges` has those drawn). */
  edgeCount?: number;
  layers: string[][];
  history: HistoryItem[];
  conditions: { type: string; status: string; reason: string; message: string }[];
  /** Why the spec could not be resolved (the graph then shows only what status knows). */
  issues?: string[];
}

export interface DashboardEvent {
  at: string;
  type: string;
  reason: string;
  message: string;
  /** "Kind/name" of the object the event is about. */
  object: string;
  node?: string;
  count?: number;
}

/** The `data` of an SSE `topologies` (on connect) or `change` message. */
export interface ChangeMessage {
  at: string;
  /** "namespace/name" keys that changed; empty on connect. */
  changed: string[];
  /**
   * On connect (`topologies` event), every topology. In a `change` event (`partial`), only the changed
   * ones that still exist: a key in `changed` without its summary here was deleted. So a status write at
   * 1,000 topologies sends one summary, not a thousand.
   */
  topologies: TopologySummary[];
  partial?: true;
}

/** An error in a document sent to the plan endpoint, where it is written in it. */
export interface PlanIssue {
  line: number;
  col: number;
  path: string;
  message: string;
}

/** The answer of POST /api/topologies/:namespace/:name/plan (see operator/src/plan/plan.ts). */
export interface PlanResponse {
  plan: Plan;
  /** The fields the plan's target does not carry exactly, where they are written in the document. */
  portability: {
    node: string;
    field: string;
    line: number;
    col: number;
    carry: "exact" | "approximate" | "none";
    how?: string;
  }[];
}
