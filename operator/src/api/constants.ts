// Names shared by the model, the renderers, the operator and the CLI: one place, so they never drift.
export const GROUP = "topo.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "Topology";
export const PLURAL = "topologies";
export const SINGULAR = "topology";
export const SHORT_NAMES = ["topo"];
export const FIELD_MANAGER = "topo-operator";

export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "topo-operator";
export const LABEL_TOPOLOGY = "topo.dev/topology";
export const LABEL_NODE = "topo.dev/node";
/** On the pods of a generator's nodes (its prefix): what they spread over as a group. */
export const LABEL_GROUP = "topo.dev/group";
/** Beside it: the hash of the group's pod specs, so a group's rolling update spreads the new pods only. */
export const LABEL_GROUP_REVISION = "topo.dev/group-revision";
export const ANNOTATION_CONFIG_HASH = "topo.dev/config-hash";
/** On a ControllerRevision: the Topology revision it keeps. */
export const LABEL_REVISION = "topo.dev/revision";
/** On a task's Job: the revision that created it (a Job that failed in an earlier revision runs again). */
export const ANNOTATION_TASK_REVISION = "topo.dev/revision";
/** On a task's pods, set by the Job controller: the Job that made them. */
export const LABEL_JOB_NAME = "batch.kubernetes.io/job-name";
/**
 * On a Topology: roll back by hand to this kept revision and hold it there (pinned) until the annotation
 * is removed. What `topo rollback NAME --to N` sets and `topo rollback --release NAME` removes.
 */
export const ANNOTATION_ROLLBACK_TO = "topo.dev/rollback-to";

export const ENV_TOPOLOGY = "TOPO_TOPOLOGY";
export const ENV_NODE = "TOPO_NODE";
export const ENV_PEERS = "TOPO_PEERS";
export const RESERVED_ENV = [ENV_TOPOLOGY, ENV_NODE, ENV_PEERS];

export const MAX_NODES = 250;
export const MAX_GENERATOR_COUNT = 100;
export const MAX_NAME_LENGTH = 63;
/** Files per node, and the bytes of their content together (a ConfigMap holds at most 1 MiB). */
export const MAX_FILES = 64;
export const MAX_FILE_CONTENT_BYTES = 256 * 1024;
/** A file's mode when none is given: readable by all for content, by its owner only for a secret. */
export const FILE_MODE_DEFAULTS = { content: 0o444, secret: 0o400 } as const;
/** On a pod template: the ConfigMap of the node's content files, so pruning never takes one a pod mounts. */
export const ANNOTATION_FILES = "topo.dev/files";

/**
 * A task's defaults: no retry (a migration that failed once usually fails again, and may have done half its
 * work), and five minutes for the whole task, as Helm waits for its hooks.
 */
export const TASK_DEFAULTS = { retries: 0, timeout: "5m" } as const;
export const PLACEMENT_DEFAULTS = {
  spread: "nodes",
  maxSkew: 1,
  whenUnsatisfiable: "ScheduleAnyway",
} as const;
export const MAX_TASK_RETRIES = 100;

export const Phase = {
  Pending: "Pending",
  Progressing: "Progressing",
  Ready: "Ready",
  Degraded: "Degraded",
  RolledBack: "RolledBack",
  Invalid: "Invalid",
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** A node's phase; a task (a node with `task`) is Waiting, Running, Succeeded or Failed. */
export const NodePhase = {
  ...Phase,
  Waiting: "Waiting",
  Running: "Running",
  Succeeded: "Succeeded",
  Failed: "Failed",
} as const;
export type NodePhase = (typeof NodePhase)[keyof typeof NodePhase];

export const ConditionType = {
  Ready: "Ready",
  Progressing: "Progressing",
  Degraded: "Degraded",
  RolledBack: "RolledBack",
  InvalidSpec: "InvalidSpec",
  Pinned: "Pinned",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  AllNodesReady: "AllNodesReady",
  NodesNotReady: "NodesNotReady",
  RolloutInProgress: "RolloutInProgress",
  RolloutComplete: "RolloutComplete",
  WaitingForDependencies: "WaitingForDependencies",
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  PodFailing: "PodFailing",
  RolledBackToLastGood: "RolledBackToLastGood",
  NoRollback: "NoRollback",
  SpecInvalid: "SpecInvalid",
  SpecValid: "SpecValid",
  ApplyFailed: "ApplyFailed",
  ManualRollback: "ManualRollback",
  RollbackRefused: "RollbackRefused",
  NotPinned: "NotPinned",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** What started a history entry: a spec (`topo up`, `kubectl apply`) or a rollback by hand. */
export const Trigger = { Spec: "spec", Manual: "manual" } as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];
/** The `trigger` label of topo_recovery_seconds: who asked for the rollback. */
export type RecoveryTrigger = "manual" | "automatic";
