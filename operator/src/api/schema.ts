// The Topology API as one zod model: the single source for validation, the CRD and both renderers.
import { z } from "zod";
import {
  API_VERSION,
  KIND,
  MAX_GENERATOR_COUNT,
  MAX_FILE_CONTENT_BYTES,
  MAX_FILES,
  MAX_NODES,
  MAX_TASK_RETRIES,
  NodePhase,
  PLACEMENT_DEFAULTS,
  TASK_DEFAULTS,
} from "./constants.ts";
import { DNS_LABEL, ENV_NAME, PORT_NAME, QUANTITY, parseDuration } from "./units.ts";

const listMap = (...keys: string[]) => ({
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": keys,
});
const cel = (rule: string, message: string) => ({ rule, message });
const rules = (...r: { rule: string; message: string }[]) => ({ "x-kubernetes-validations": r });

export const DnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(
    DNS_LABEL,
    "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
  );

/** Said by the model and by the CRD's CEL rule alike. */
export const NO_NODES = "a topology needs at least one node, in spec.nodes or made by spec.generators";

const NodeRef = DnsLabel.describe("The name of another node of this topology.");

export const Duration = z
  .string()
  .regex(/^(\d+(\.\d+)?)(ms|s|m|h)$/, "must be a duration such as 500ms, 10s or 2m")
  .refine((v) => parseDuration(v) !== undefined, "must be a duration such as 500ms, 10s or 2m");

export const Quantity = z
  .union([
    z.string().regex(QUANTITY, "must be a quantity such as 250m, 1, 128Mi or 1Gi"),
    z.number().nonnegative(),
  ])
  .meta({ "x-kubernetes-int-or-string": true });

/** A port referenced by its name or its number. */
export const PortRef = z
  .union([
    z.int().min(1).max(65535),
    z
      .string()
      .regex(PORT_NAME, "must be a port name or number")
      .refine((n) => /[a-z]/.test(n), "must be a port name or number"),
  ])
  .meta({ "x-kubernetes-int-or-string": true });

export const Port = z.strictObject({
  name: z
    .string()
    .max(15, "port names are at most 15 characters")
    .regex(PORT_NAME, "must be a port name: lowercase letters, digits and '-', with at least one letter")
    .refine(
      (n) => /[a-z]/.test(n),
      "must be a port name: lowercase letters, digits and '-', with at least one letter",
    ),
  port: z.int().min(1).max(65535),
  protocol: z.enum(["TCP", "UDP"]).optional().describe("TCP (default) or UDP."),
  hostPort: z
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe(
      "Published on the host by Docker Compose; a node with N replicas publishes hostPort..hostPort+N-1. Kubernetes ignores it.",
    ),
});
export type Port = z.infer<typeof Port>;

export const SecretRef = z.strictObject({
  name: DnsLabel.describe("The name of the Secret (Kubernetes) or secret set (Compose)."),
  key: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[-._a-zA-Z0-9]+$/, "must consist of letters, digits, '-', '_' or '.'"),
});
export type SecretRef = z.infer<typeof SecretRef>;

export const EnvVar = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(
        ENV_NAME,
        "must be an environment variable name: letters, digits and '_', not starting with a digit",
      ),
    value: z.string({ error: "must be a string (quote numbers and booleans in YAML)" }).optional(),
    secretRef: SecretRef.optional(),
  })
  .refine((e) => (e.value === undefined) !== (e.secretRef === undefined), {
    message: "set exactly one of value or secretRef",
  })
  .meta(rules(cel("has(self.value) != has(self.secretRef)", "set exactly one of value or secretRef")));
export type EnvVar = z.infer<typeof EnvVar>;

export const Health = z
  .strictObject({
    http: z
      .strictObject({ path: z.string().regex(/^\//, "must start with '/'").max(1024), port: PortRef })
      .optional(),
    tcp: z.strictObject({ port: PortRef }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1).max(64) }).optional(),
    interval: Duration.optional().describe("Default 10s."),
    timeout: Duration.optional().describe("Default 2s."),
    retries: z.int().min(1).max(100).optional().describe("Default 3."),
    startPeriod: Duration.optional().describe("Default 0s."),
  })
  .refine((h) => [h.http, h.tcp, h.exec].filter((x) => x !== undefined).length === 1, {
    message: "set exactly one of http, tcp or exec",
  })
  .meta(
    rules(
      cel(
        "[has(self.http), has(self.tcp), has(self.exec)].filter(x, x).size() == 1",
        "set exactly one of http, tcp or exec",
      ),
    ),
  );
export type Health = z.infer<typeof Health>;

export const Volume = z.strictObject({
  name: DnsLabel,
  mountPath: z.string().regex(/^\//, "must be an absolute path").max(4096),
  size: Quantity,
});
export type Volume = z.infer<typeof Volume>;

/** A file's mode: an octal string such as "0444"; the default is 0444 for content, 0400 for a secret. */
export const FileMode = z
  .string()
  .regex(/^0?[0-7]{3}$/, 'must be an octal mode such as "0444" or "0400" (quoted in YAML)');

export const File = z
  .strictObject({
    path: z
      .string()
      .max(1024)
      .regex(/^\/[^\0]*[^/]$/, "must be an absolute path to a file (starting with '/', not ending with '/')")
      .refine(
        (p) => !p.split("/").some((s) => s === "." || s === ".."),
        "must not contain '.' or '..' segments",
      )
      .describe("Where the file appears in the container; unique per node."),
    content: z
      .string({ error: "must be a string (use a YAML block scalar, `content: |`, for a file)" })
      .optional()
      .describe(`The file's text; at most ${MAX_FILE_CONTENT_BYTES / 1024} KiB over all of a node's files.`),
    secretRef: SecretRef.optional().describe("The file's content is this key of a Secret."),
    mode: FileMode.optional().describe("Octal; default 0444 for content, 0400 for a secret."),
  })
  .refine((f) => (f.content === undefined) !== (f.secretRef === undefined), {
    message: "set exactly one of content or secretRef",
  })
  .meta(rules(cel("has(self.content) != has(self.secretRef)", "set exactly one of content or secretRef")));
export type File = z.infer<typeof File>;

export const Resources = z.strictObject({ cpu: Quantity.optional(), memory: Quantity.optional() });
export type Resources = z.infer<typeof Resources>;

export const Task = z
  .strictObject({
    retries: z
      .int()
      .min(0)
      .max(MAX_TASK_RETRIES)
      .optional()
      .describe(`Runs again after a failure this many times; default ${TASK_DEFAULTS.retries}.`),
    timeout: Duration.optional().describe(
      `The whole task, its retries included, fails once it runs longer; default ${TASK_DEFAULTS.timeout}.`,
    ),
  })
  .describe(
    "Makes the node a task: it runs to completion once per revision that changes it, and its dependents wait for it to succeed.",
  );
export type Task = z.infer<typeof Task>;

export const Build = z
  .strictObject({
    context: z
      .string()
      .min(1)
      .max(4096)
      .describe("The build context, relative to the topology file (or absolute)."),
    dockerfile: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe("Relative to the context, as in Compose; default Dockerfile."),
    args: z
      .record(z.string(), z.string({ error: "must be a string (quote numbers and booleans in YAML)" }))
      .optional()
      .describe("Build arguments (ARG)."),
    target: z.string().min(1).max(128).optional().describe("The stage of a multi-stage Dockerfile to build."),
  })
  .describe(
    "Build the node's image from source: `topo up` builds and tags it with the hash of its inputs; a cluster runs what `topo build` made (the operator never builds).",
  );
export type Build = z.infer<typeof Build>;

export const Placement = z
  .strictObject({
    spread: z
      .enum(["nodes", "zones", "none"])
      .optional()
      .describe(
        `Spread a node's replicas, and a generator's nodes as a group, over cluster nodes (kubernetes.io/hostname) or zones (topology.kubernetes.io/zone); none leaves scheduling alone. Default ${PLACEMENT_DEFAULTS.spread}.`,
      ),
    maxSkew: z
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(
        `How many more pods one node (or zone) may hold than the emptiest; default ${PLACEMENT_DEFAULTS.maxSkew}.`,
      ),
    whenUnsatisfiable: z
      .enum(["ScheduleAnyway", "DoNotSchedule"])
      .optional()
      .describe(
        "ScheduleAnyway (default) prefers the spread; DoNotSchedule leaves a pod Pending rather than break it (over nodes: also when there are fewer nodes than replicas).",
      ),
  })
  .describe(
    "Where the pods go on Kubernetes: spec.placement for every node, a node's or a generator template's own fields over it. Compose runs on one machine and ignores it.",
  );
export type Placement = z.infer<typeof Placement>;

const nodeFieldShape = {
  image: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe("With build: the repository the built image is tagged (and pushed) as."),
  build: Build.optional(),
  replicas: z.int().min(0).max(1000).optional().describe("Default 1; 0 is allowed."),
  command: z.array(z.string()).max(64).optional().describe("Replaces the image's entrypoint."),
  args: z.array(z.string()).max(256).optional(),
  ports: z.array(Port).max(64).optional().meta(listMap("name")),
  env: z.array(EnvVar).max(128).optional().meta(listMap("name")),
  health: Health.optional(),
  volumes: z.array(Volume).max(16).optional().meta(listMap("name")),
  files: z
    .array(File)
    .max(MAX_FILES)
    .optional()
    .meta(listMap("path"))
    .describe("Config and secret files at absolute paths; part of the revision, rolled back with it."),
  resources: Resources.optional(),
  dependsOn: z
    .array(NodeRef)
    .max(MAX_NODES)
    .optional()
    .describe("Starts after these nodes are healthy; implies connectsTo."),
  connectsTo: z.array(NodeRef).max(MAX_NODES).optional().describe("Peers this node talks to."),
  task: Task.optional(),
  placement: Placement.optional(),
};

const nodeRules = rules(
  cel(
    "!has(self.volumes) || size(self.volumes) == 0 || !has(self.replicas) || self.replicas <= 1",
    "a node with volumes runs at most 1 replica",
  ),
  cel(
    "!has(self.task) || !has(self.ports) || size(self.ports) == 0",
    "a task has no ports: it runs to completion and nothing connects to it",
  ),
  cel("!has(self.task) || !has(self.health)", "a task has no health check: it succeeds when it exits 0"),
  cel("!has(self.task) || !has(self.replicas) || self.replicas == 1", "a task runs exactly 1 replica"),
);

/** Every node field but the name: what defaults and generator templates may set. */
export const NodeFields = z.strictObject(nodeFieldShape);
export type NodeFields = z.infer<typeof NodeFields>;

export const Node = z
  .strictObject({ name: DnsLabel, ...nodeFieldShape })
  .meta(
    rules(
      ...nodeRules["x-kubernetes-validations"],
      cel("!has(self.dependsOn) || !(self.name in self.dependsOn)", "a node cannot depend on itself"),
      cel("!has(self.connectsTo) || !(self.name in self.connectsTo)", "a node cannot connect to itself"),
    ),
  );
export type Node = z.infer<typeof Node>;

const { dependsOn: _d, connectsTo: _c, task: _t, placement: _p, ...defaultShape } = nodeFieldShape;
/**
 * Merged under every node; edges are not defaults (they would make self-edges), nor is being a task, nor
 * placement (spec.placement is the topology's).
 */
export const Defaults = z.strictObject(defaultShape);
export type Defaults = z.infer<typeof Defaults>;

export const Shape = z.enum(["linear", "ring", "star", "mesh"]);
export type Shape = z.infer<typeof Shape>;

export const Generator = z.strictObject({
  prefix: DnsLabel.max(60, "must be at most 60 characters, leaving room for '-<index>'"),
  count: z.int().min(1).max(MAX_GENERATOR_COUNT),
  shape: Shape,
  template: NodeFields.optional().meta(nodeRules),
});
export type Generator = z.infer<typeof Generator>;

export const Rollout = z.strictObject({
  progressDeadlineSeconds: z.int().min(5).max(3600).default(90),
  autoRollback: z.boolean().default(true),
  historyLimit: z.int().min(1).max(100).default(10),
});
export type Rollout = z.infer<typeof Rollout>;

export const TopologySpec = z
  .strictObject({
    defaults: Defaults.optional(),
    nodes: z
      .array(Node)
      .max(MAX_NODES)
      .optional()
      .meta(listMap("name"))
      .describe("Optional when generators make at least one node."),
    generators: z.array(Generator).max(50).optional().meta(listMap("prefix")),
    isolation: z.enum(["links", "none"]).default("links"),
    rollout: Rollout.prefault({}),
    placement: Placement.optional(),
  })
  .meta(
    rules(
      cel(
        "(has(self.nodes) && size(self.nodes) > 0) || (has(self.generators) && size(self.generators) > 0)",
        NO_NODES,
      ),
    ),
  );
export type TopologySpec = z.infer<typeof TopologySpec>;
export type TopologySpecInput = z.input<typeof TopologySpec>;

const Time = z.string().describe("RFC 3339 time.");

export const Condition = z.object({
  type: z.string().max(316),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().max(1024),
  message: z.string().max(32768),
  lastTransitionTime: Time,
  observedGeneration: z.int().min(0).optional(),
});
export type Condition = z.infer<typeof Condition>;

export const NodeStatus = z.object({
  name: z.string(),
  image: z.string().optional(),
  replicas: z.int().min(0),
  readyReplicas: z.int().min(0),
  phase: z
    .enum(Object.values(NodePhase) as [NodePhase, ...NodePhase[]])
    .describe("A task's phase is Waiting, Running, Succeeded or Failed."),
  message: z.string().optional(),
  spreadOver: z.int().min(0).optional().describe("On how many cluster nodes the node's Ready pods run."),
});
export type NodeStatus = z.infer<typeof NodeStatus>;

export const HistoryEntry = z.object({
  revision: z.int().min(1),
  images: z.record(z.string(), z.string()),
  outcome: z.enum(["Progressing", "Succeeded", "Failed", "RolledBack", "Superseded"]),
  at: Time,
  reason: z.string().optional(),
  hash: z.string().optional().describe("Hash of the revision's rendered pod templates."),
  tasks: z
    .record(z.string(), z.string())
    .optional()
    .describe("Per task node, the hash of the template the revision ran (its Job's)."),
  files: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      "Per node with content files, the name of the ConfigMap the revision mounts: kept while the revision is.",
    ),
  generation: z.int().min(0).optional().describe("The Topology generation that asked for this revision."),
  trigger: z
    .enum(["spec", "manual"])
    .optional()
    .describe(
      "What started this entry: the spec (the default), or a rollback by hand (topo.dev/rollback-to).",
    ),
  from: z.int().min(1).optional().describe("A rollback by hand: the revision the Topology ran before it."),
  rollbackAt: Time.optional().describe(
    "When a rollback was asked for: this revision judged failed (automatic), or the annotation seen (manual).",
  ),
  recoverySeconds: z
    .number()
    .min(0)
    .optional()
    .describe("Seconds from rollbackAt to every node Ready on the revision rolled back to."),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const TopologyStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  phase: z.enum(["Pending", "Progressing", "Ready", "Degraded", "RolledBack", "Invalid"]).optional(),
  revision: z.int().min(0).optional(),
  lastGoodRevision: z.int().min(0).optional(),
  readyNodes: z.string().optional().describe("Ready nodes over all nodes, e.g. 4/5."),
  message: z.string().optional(),
  conditions: z.array(Condition).max(16).optional().meta(listMap("type")),
  nodes: z.array(NodeStatus).max(MAX_NODES).optional().meta(listMap("name")),
  history: z.array(HistoryEntry).max(100).optional(),
});
export type TopologyStatus = z.infer<typeof TopologyStatus>;

export const Metadata = z.looseObject({
  name: DnsLabel,
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const TopologyObject = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
  kind: z.literal(KIND, { error: `must be ${KIND}` }),
  metadata: Metadata,
  spec: TopologySpec,
  status: TopologyStatus.optional(),
});
export type TopologyObject = z.infer<typeof TopologyObject>;
