// A plan as people read it: one line per node with its verdict, the objects that change under it with
// their field-level changes, then the revision, the start order and a count (pure).
import { formatChange } from "./diff.ts";
import type { NodeVerdict, ObjectAction, ObjectPlan, Plan } from "./plan.ts";

const MARK: Record<ObjectAction, string> = { create: "+", change: "~", delete: "-", unchanged: "=" };
const VERB: Record<ObjectAction, string> = {
  create: "created",
  change: "changed",
  delete: "deleted",
  unchanged: "unchanged",
};
const ORDER: NodeVerdict[] = ["create", "restart", "update", "delete", "unchanged"];
const WORD: Record<NodeVerdict, string> = {
  create: "to create",
  restart: "to restart",
  update: "to update",
  delete: "to delete",
  unchanged: "unchanged",
};

function objectLines(o: ObjectPlan, indent: string): string[] {
  if (o.action === "unchanged") return [];
  return [
    `${indent}${MARK[o.action]} ${o.kind} ${o.name} ${VERB[o.action]}${o.note ? ` (${o.note})` : ""}`,
    ...o.changes.map((c) => `${indent}    ${formatChange(c)}`),
  ];
}

function where(plan: Plan): string {
  return plan.target === "kube"
    ? `topology ${plan.topology} in namespace ${plan.scope} (Kubernetes)`
    : `topology ${plan.topology}, Compose project ${plan.scope} (Docker)`;
}

export function describeRevision(plan: Plan): string {
  const { current, next } = plan.revision;
  if (!plan.revision.new) return next ? `no new revision (stays at ${next})` : "no new revision";
  return current ? `${next} (new; ${current} runs now)` : `${next} (new, the first)`;
}

export function formatPlan(plan: Plan): string {
  const lines = [`Plan for ${where(plan)}${plan.exists ? "" : ": not there yet, everything is created"}`, ""];
  // The nodes that change, one by one with their objects; the others in one line.
  const changing = plan.nodes.filter((n) => n.verdict !== "unchanged");
  const same = plan.nodes.filter((n) => n.verdict === "unchanged").map((n) => n.name);
  const width = Math.max(4, ...changing.map((n) => n.name.length));
  for (const n of changing) {
    lines.push(`  ${n.name.padEnd(width)}  ${n.verdict}`);
    for (const o of n.objects) lines.push(...objectLines(o, "    "));
  }
  if (same.length) lines.push(`  unchanged: ${same.join(", ")}`);
  const shared = plan.shared.flatMap((o) => objectLines(o, "    "));
  if (shared.length) lines.push(`  ${"(shared)".padEnd(width)}`, ...shared);
  lines.push("");
  lines.push(`Revision: ${describeRevision(plan)}`);
  if (plan.startOrder.length)
    lines.push(`Start order: ${plan.startOrder.map((l) => l.join(", ")).join(" → ")}`);
  if (plan.tasks?.length) lines.push(`Tasks that run: ${plan.tasks.join(", ")}`);
  if (plan.recreate?.length) lines.push(`Recreated containers: ${plan.recreate.join(", ")}`);
  const counts = ORDER.map((v) => [v, plan.nodes.filter((n) => n.verdict === v).length] as const)
    .filter(([, c]) => c > 0)
    .map(([v, c]) => `${c} ${WORD[v]}`);
  lines.push(`Summary: ${plan.changed ? counts.join(", ") : "no changes"}`);
  for (const note of plan.notes) lines.push(`Note: ${note}`);
  return `${lines.join("\n")}\n`;
}
