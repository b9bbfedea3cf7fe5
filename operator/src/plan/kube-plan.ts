// planKube: the plan of a topology against a cluster, from the rendered objects, the live children and the
// API server's dry-run answers (pure). An object is compared on the fields the operator's field manager owns
// before or after the apply, so status, managedFields, defaults and what other managers set (an annotation
// by kubectl, a restartedAt by `kubectl rollout restart`) never show as changes; a field the operator owns
// and someone edited by hand does, since the operator reverts it. An object the operator would not apply
// (compare.ts's applyReason finds nothing to do) is unchanged, as it is for the operator.
import { LABEL_NODE } from "../api/constants.ts";
import type { TopologyStatus } from "../api/schema.ts";
import type { Topology } from "../api/topology.ts";
import { applyReason } from "../controller/compare.ts";
import { historyChildren, snapshotOf, startsRevision } from "../controller/rollout.ts";
import { extractFields, mergeSets, type FieldSet, type ManagedFieldsEntry } from "../kube/managed-fields.ts";
import type { KubeObject } from "../render/k8s/index.ts";
import { diffValues, type FieldChange } from "./diff.ts";
import {
  anyChange,
  nodeVerdict,
  orderNodes,
  startOrderOf,
  type NodePlan,
  type ObjectPlan,
  type Plan,
  type RevisionPlan,
} from "./plan.ts";

/** An object as the API server returns it. */
export interface LiveObject {
  apiVersion?: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string }[];
    resourceVersion?: string;
    managedFields?: ManagedFieldsEntry[];
  };
  spec?: unknown;
  [field: string]: unknown;
}

/** The live Topology, as far as a plan needs it. */
export interface LiveTopology {
  spec: unknown;
  generation?: number;
  status?: TopologyStatus;
}

export interface KubePlanInput {
  /** The topology from the file, in its namespace, with the live Topology's uid when there is one. */
  topology: Topology;
  /** renderKubernetes(topology). */
  desired: readonly KubeObject[];
  /** The live Topology; undefined when it does not exist yet. */
  live?: LiveTopology;
  /** Whether the file's spec differs from the live one (the API server would bump the generation). */
  specChanged: boolean;
  /** The live children the Topology owns, of the kinds it owns. */
  children: readonly LiveObject[];
  /** The dry-run answer for each desired object, by `Kind/name`; absent when it could not be asked. */
  dryRun: ReadonlyMap<string, LiveObject>;
  fieldManager: string;
  /** The revision topo.dev/rollback-to pins the Topology to, when it does: the operator applies that one. */
  pinned?: number;
  notes?: string[];
}

export const objectKey = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
const nodeOf = (o: { metadata: { labels?: Record<string, string> } }) =>
  o.metadata.labels?.[LABEL_NODE] ?? "";

/** The field set `manager` holds in an object through server-side apply (main resource only). */
function appliedSet(obj: LiveObject, manager: string): FieldSet | undefined {
  const sets = (obj.metadata.managedFields ?? [])
    .filter((e) => e.manager === manager && e.operation === "Apply" && !e.subresource && e.fieldsV1)
    .map((e) => e.fieldsV1!);
  return sets.length ? sets.reduce(mergeSets) : undefined;
}

/**
 * The changes applying would make to `live`, read from the dry-run answer: both objects restricted to the
 * fields the manager owns in either (what it sets now, what it set before and would give up).
 */
export function ownedChanges(live: LiveObject, after: LiveObject, manager: string): FieldChange[] {
  const sets = [appliedSet(live, manager), appliedSet(after, manager)].filter((s): s is FieldSet => !!s);
  if (!sets.length) return [];
  const set = sets.reduce(mergeSets);
  const strip = (o: LiveObject) => {
    const { managedFields: _m, ...metadata } = o.metadata;
    return { ...o, metadata } as unknown as Parameters<typeof extractFields>[0];
  };
  const pick = (o: LiveObject) => extractFields(strip(o), set, { absentAsEmpty: false });
  return diffValues(pick(live), pick(after));
}

function planObject(desired: KubeObject, input: KubePlanInput, live: LiveObject | undefined): ObjectPlan {
  const base = { kind: desired.kind, name: desired.metadata.name };
  const after = input.dryRun.get(objectKey(desired));
  if (!live) {
    // The dry run of a create has no resourceVersion; one that has found an object of that name.
    const taken = after?.metadata.resourceVersion
      ? { note: "an object of this name exists and is not this Topology's: applying takes it over" }
      : {};
    return { ...base, action: "create", changes: [], ...taken };
  }
  // A task's Job is created once per template and never applied again (its template cannot change).
  if (desired.kind === "Job" || !applyReason(desired, live))
    return { ...base, action: "unchanged", changes: [] };
  const changes = after ? ownedChanges(live, after, input.fieldManager) : [];
  return { ...base, action: changes.length ? "change" : "unchanged", changes };
}

/** Why the operator would keep the children as they are whatever the file says, or undefined. */
function heldBy(input: KubePlanInput): string | undefined {
  const latest = input.live?.status?.history?.at(-1);
  if (input.pinned !== undefined)
    return `the children stay on pinned revision ${input.pinned} as they run now`;
  if (!input.specChanged && latest?.outcome === "RolledBack")
    return `revision ${latest.revision} was rolled back and the children run revision ${input.live?.status?.lastGoodRevision ?? "?"}; an unchanged spec does not retry it (edit the spec to start a new revision)`;
  return undefined;
}

/** Whether a Deployment's change reaches its pod template (the pods are replaced), or a task's Job is new (it runs). */
const restartsPods = (o: ObjectPlan) =>
  (o.kind === "Deployment" || o.kind === "Job") &&
  (o.action === "create" || o.changes.some((c) => c.path.startsWith("spec.template")));

function planRevision(input: KubePlanInput): RevisionPlan {
  const history = input.live?.status?.history ?? [];
  const current = input.live?.status?.revision || history.at(-1)?.revision;
  const hash = snapshotOf(input.desired as KubeObject[]).hash;
  const generation = (input.live?.generation ?? 0) + (input.specChanged ? 1 : 0);
  const isNew = !input.live || startsRevision(history, hash, generation);
  const next = isNew ? Math.max(0, ...history.map((h) => h.revision)) + 1 : (history.at(-1)?.revision ?? 0);
  return { ...(current ? { current } : {}), next, new: isNew };
}

/**
 * The plan while the operator holds the children on another revision than the file's: pinned by
 * topo.dev/rollback-to, or rolled back from a spec that applying again does not change (an unchanged spec
 * never retries a revision). Applying changes nothing the children run, so every node is unchanged.
 */
function heldPlan(input: KubePlanInput, revision: RevisionPlan, note: string): Plan {
  const byNode = new Map<string, ObjectPlan[]>();
  for (const o of input.children)
    byNode.set(nodeOf(o), [
      ...(byNode.get(nodeOf(o)) ?? []),
      { kind: o.kind, name: o.metadata.name, action: "unchanged", changes: [] },
    ]);
  const nodes = orderNodes(
    input.topology,
    [...byNode].map(([name, objects]) => ({ name, verdict: "unchanged" as const, objects })),
  );
  return {
    target: "kube",
    topology: input.topology.name,
    scope: input.topology.namespace ?? "default",
    exists: true,
    nodes,
    shared: [],
    revision: { ...revision, next: revision.current ?? revision.next, new: false },
    startOrder: [],
    tasks: [],
    notes: [...(input.notes ?? []), note],
    changed: input.specChanged,
  };
}

export function planKube(input: KubePlanInput): Plan {
  const { topology } = input;
  const held = heldBy(input);
  if (held) return heldPlan(input, planRevision(input), held);
  const live = new Map(input.children.map((o) => [objectKey(o), o]));
  // A task's Jobs and a node's ConfigMaps stay with the revisions of the history that ran them.
  const desiredKeys = new Set([
    ...input.desired.map(objectKey),
    ...historyChildren(topology.name, input.live?.status?.history ?? []),
  ]);
  const byNode = new Map<string, ObjectPlan[]>();
  const add = (node: string, o: ObjectPlan) => byNode.set(node, [...(byNode.get(node) ?? []), o]);
  for (const d of input.desired) add(nodeOf(d), planObject(d, input, live.get(objectKey(d))));
  // What the operator prunes: owned children no longer desired.
  for (const [key, o] of live)
    if (!desiredKeys.has(key))
      add(nodeOf(o), { kind: o.kind, name: o.metadata.name, action: "delete", changes: [] });

  const desiredNodes = new Set(topology.nodes.map((n) => n.name));
  const liveNodes = new Set(input.children.map(nodeOf));
  const nodes: NodePlan[] = [...byNode].map(([name, objects]) => {
    if (!desiredNodes.has(name)) return { name, verdict: "delete", objects };
    const verdict = nodeVerdict(objects, {
      created: !liveNodes.has(name),
      restarts: objects.some(restartsPods),
    });
    return { name, verdict, objects };
  });
  const ordered = orderNodes(topology, nodes);
  const notes = [...(input.notes ?? [])];
  const latest = input.live?.status?.history?.at(-1);
  const revision = planRevision(input);
  if (!revision.new && latest && (latest.outcome === "RolledBack" || latest.outcome === "Failed"))
    notes.push(
      `revision ${latest.revision} ${latest.outcome === "RolledBack" ? "was rolled back" : "failed"}; an unchanged spec does not retry it (edit the spec to start a new revision)`,
    );
  return {
    target: "kube",
    topology: topology.name,
    scope: topology.namespace ?? "default",
    exists: input.live !== undefined,
    nodes: ordered,
    shared: [],
    revision,
    startOrder: startOrderOf(topology, ordered),
    tasks: ordered
      .filter((n) => n.objects.some((o) => o.kind === "Job" && o.action === "create"))
      .map((n) => n.name),
    notes,
    changed: anyChange(ordered, []) || input.specChanged,
  };
}
