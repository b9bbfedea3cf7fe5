// POST /api/topologies/:namespace/:name/plan: a Topology document (YAML or JSON) in, the plan of applying
// it out. Read-only: the planner applies nothing (on a cluster every object is a dry run). The document is
// read as the CLI reads a file, so its errors come with line and column.
import { parseTopology } from "../api/parse.ts";
import { readDocuments } from "../api/source.ts";
import { formatPath, type Topology } from "../api/topology.ts";
import type { Plan } from "../plan/plan.ts";
import { portabilityOf } from "../plan/portability.ts";
import type { PlanIssue, PlanResponse } from "./types.ts";

/** Plans a topology against the source's target; a UserError is the answer to show (422). */
export type Planner = (namespace: string, name: string, topology: Topology) => Promise<Plan>;

/** The body types a plan accepts: none that a cross-site form can send without a preflight. */
export const PLAN_TYPES = ["application/json", "application/yaml", "application/x-yaml", "text/yaml"];

export type PlanRequest =
  | { ok: true; topology: Topology; locate: (path: (string | number)[]) => { line: number; col: number } }
  | { ok: false; status: 400 | 422; error: string; issues: PlanIssue[] };

/** The one Topology of `text`, named `name` (and in `namespace` when it says one). */
export function readPlanRequest(text: string, namespace: string, name: string): PlanRequest {
  const { documents, syntaxErrors } = readDocuments(text);
  if (syntaxErrors.length)
    return {
      ok: false,
      status: 422,
      error: "the document is not YAML or JSON",
      issues: syntaxErrors.map((e) => ({ ...e.position, path: "", message: e.message })),
    };
  if (documents.length !== 1)
    return { ok: false, status: 400, error: "send one Topology document", issues: [] };
  const doc = documents[0]!;
  const result = parseTopology(doc.value);
  if (!result.ok)
    return {
      ok: false,
      status: 422,
      error: "the Topology is not valid",
      issues: result.issues.map((i) => ({
        ...doc.locate(i.path),
        path: formatPath(i.path),
        message: i.message,
      })),
    };
  const t = result.topology;
  if (t.name !== name || (t.namespace !== undefined && t.namespace !== namespace))
    return {
      ok: false,
      status: 400,
      error: `the document is topology ${t.namespace ? `${t.namespace}/` : ""}${t.name}, not ${namespace}/${name}`,
      issues: [],
    };
  return { ok: true, topology: t, locate: doc.locate };
}

/** The plan with the fields its target does not carry exactly, located in the document. */
export function planResponse(plan: Plan, request: Extract<PlanRequest, { ok: true }>): PlanResponse {
  const portability = portabilityOf(request.topology)
    .filter((i) => i[plan.target].carry !== "exact")
    .map((i) => ({ node: i.node, field: i.field, ...request.locate(i.path), ...i[plan.target] }));
  return { plan, portability };
}
