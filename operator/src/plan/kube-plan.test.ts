import { FIELD_MANAGER } from "../api/constants.ts";
import type { HistoryEntry } from "../api/schema.ts";
import { snapshotOf } from "../controller/rollout.ts";
import type { FieldSet } from "../kube/managed-fields.ts";
import { renderKubernetes, type KubeObject } from "../render/k8s/index.ts";
import { resolve } from "../../../test/unit/fixtures.ts";
import { objectKey, ownedChanges, planKube, type KubePlanInput, type LiveObject } from "./kube-plan.ts";

/** The field set of every field of a value, lists atomic (as FieldsV1 writes an atomic list). */
function fieldsOf(value: unknown): FieldSet {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [`f:${k}`, fieldsOf(v)]));
}

/** An object as the API server stores it after `manager` applied `applied`: with status and managedFields. */
function stored(
  obj: KubeObject,
  applied: unknown = obj,
  others: LiveObject["metadata"]["managedFields"] = [],
) {
  const { apiVersion: _a, kind: _k, ...fields } = applied as KubeObject;
  return {
    ...structuredClone(obj),
    metadata: {
      ...structuredClone(obj.metadata),
      resourceVersion: "7",
      managedFields: [
        { manager: FIELD_MANAGER, operation: "Apply", fieldsType: "FieldsV1", fieldsV1: fieldsOf(fields) },
        ...others,
      ],
    },
    status: { observedGeneration: 1, replicas: 1 },
  } as LiveObject;
}

const UID = "0b6a";
const spec = (images: Record<string, string> = {}, without: string[] = []) => ({
  nodes: [
    { name: "db", image: images.db ?? "pg:16", ports: [{ name: "pg", port: 5432 }] },
    { name: "api", image: images.api ?? "api:1", ports: [{ name: "http", port: 80 }], dependsOn: ["db"] },
    { name: "web", image: images.web ?? "web:1", ports: [{ name: "http", port: 80 }], dependsOn: ["api"] },
  ].filter((n) => !without.includes(n.name)),
});
const topo = (s: ReturnType<typeof spec>) => resolve(s, { name: "shop", namespace: "ns", uid: UID });

/** The plan of `next` against children running `running`, the API server answering the dry runs. */
function plan(
  running: ReturnType<typeof spec> | undefined,
  next: ReturnType<typeof spec>,
  over: Partial<KubePlanInput> = {},
) {
  const topology = topo(next);
  const desired = renderKubernetes(topology);
  const children = running ? renderKubernetes(topo(running)).map((o) => stored(o)) : [];
  const history: HistoryEntry[] = running
    ? [
        {
          revision: 1,
          hash: snapshotOf(renderKubernetes(topo(running))).hash,
          images: {},
          outcome: "Succeeded",
          at: "2026-01-01T00:00:00Z",
          generation: 1,
        },
      ]
    : [];
  return planKube({
    topology,
    desired,
    ...(running ? { live: { spec: running, generation: 1, status: { revision: 1, history } } } : {}),
    specChanged: running !== undefined && JSON.stringify(running) !== JSON.stringify(next),
    children,
    dryRun: new Map(desired.map((o) => [objectKey(o), stored(o)])),
    fieldManager: FIELD_MANAGER,
    ...over,
  });
}
const verdicts = (p: ReturnType<typeof plan>) => Object.fromEntries(p.nodes.map((n) => [n.name, n.verdict]));

describe("planKube", () => {
  it("plans a Topology that does not exist as all-create, revision 1, in dependency order", () => {
    const p = plan(undefined, spec());
    expect(p.exists).toBe(false);
    expect(verdicts(p)).toEqual({ db: "create", api: "create", web: "create" });
    expect(p.nodes[0]!.objects.map((o) => `${o.action} ${o.kind}`)).toEqual([
      "create Service",
      "create NetworkPolicy",
      "create Deployment",
    ]);
    expect(p.revision).toEqual({ next: 1, new: true });
    expect(p.startOrder).toEqual([["db"], ["api"], ["web"]]);
    expect(p.changed).toBe(true);
  });

  it("finds nothing to do for the running file: no new revision, no change", () => {
    const p = plan(spec(), spec());
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
    expect(p.revision).toEqual({ current: 1, next: 1, new: false });
    expect(p.startOrder).toEqual([]);
    expect(p.changed).toBe(false);
  });

  it("restarts the node whose image changes and not its dependents, as revision 2", () => {
    const p = plan(spec(), spec({ api: "api:2" }));
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "restart", web: "unchanged" });
    const api = p.nodes.find((n) => n.name === "api")!;
    expect(api.objects.find((o) => o.kind === "Deployment")!.changes).toEqual(
      expect.arrayContaining([
        { path: "spec.template.spec.containers[name=api].image", from: "api:1", to: "api:2" },
      ]),
    );
    expect(p.revision).toEqual({ current: 1, next: 2, new: true });
    expect(p.startOrder).toEqual([["api"]]);
  });

  it("deletes a removed node's children, listed after the nodes that stay", () => {
    const p = plan(spec(), spec({}, ["web"]));
    const web = p.nodes.find((n) => n.name === "web")!;
    expect(web.verdict).toBe("delete");
    expect(web.objects.map((o) => `${o.action} ${o.kind}`).sort()).toEqual([
      "delete Deployment",
      "delete NetworkPolicy",
      "delete Service",
    ]);
    expect(p.nodes.map((n) => n.name)).toEqual(["db", "api", "web"]);
    expect(p.revision.new).toBe(true);
  });

  it("says a retry is not started by an unchanged spec after a failed revision", () => {
    const running = spec();
    const p = plan(running, running, {
      live: {
        spec: running,
        generation: 2,
        status: {
          revision: 2,
          history: [
            {
              revision: 2,
              hash: snapshotOf(renderKubernetes(topo(running))).hash,
              images: {},
              outcome: "Failed",
              at: "2026-01-01T00:00:00Z",
              generation: 2,
            },
          ],
        },
      },
    });
    expect(p.revision).toEqual({ current: 2, next: 2, new: false });
    expect(p.notes).toEqual([expect.stringContaining("revision 2 failed")]);
  });

  describe("while the children run another revision than the file's", () => {
    const good = spec();
    const bad = spec({ api: "api:2" });
    const entry = (revision: number, s: ReturnType<typeof spec>, outcome: HistoryEntry["outcome"]) => ({
      revision,
      hash: snapshotOf(renderKubernetes(topo(s))).hash,
      images: {},
      outcome,
      at: "2026-01-01T00:00:00Z",
      generation: revision,
    });
    /** The children run `good` (revision 1); the live spec is `bad`, revision 2, rolled back. */
    const rolledBack = (next: ReturnType<typeof spec>, over: Partial<KubePlanInput> = {}) =>
      plan(good, next, {
        live: {
          spec: bad,
          generation: 2,
          status: {
            revision: 2,
            lastGoodRevision: 1,
            history: [entry(1, good, "Succeeded"), entry(2, bad, "RolledBack")],
          },
        },
        specChanged: JSON.stringify(next) !== JSON.stringify(bad),
        ...over,
      });

    it("plans the unchanged spec of a rolled-back revision as no change: the operator does not retry it", () => {
      const p = rolledBack(bad);
      expect(verdicts(p)).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
      expect(p.changed).toBe(false);
      expect(p.startOrder).toEqual([]);
      expect(p.revision).toEqual({ current: 2, next: 2, new: false });
      expect(p.notes).toEqual([
        expect.stringContaining("revision 2 was rolled back and the children run revision 1"),
      ]);
    });

    it("plans an edited spec after a rollback as a new revision against what the children run", () => {
      const p = rolledBack(spec({ api: "api:3" }));
      expect(verdicts(p)).toEqual({ db: "unchanged", api: "restart", web: "unchanged" });
      expect(p.revision).toEqual({ current: 2, next: 3, new: true });
    });

    it("keeps every node as it runs while a pin holds it, whatever the file says", () => {
      const p = rolledBack(spec({ api: "api:3" }), { pinned: 1 });
      expect(verdicts(p)).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
      expect(p.startOrder).toEqual([]);
      expect(p.notes).toEqual([expect.stringContaining("pinned revision 1")]);
    });
  });

  it("notes an object of the same name that the Topology does not own", () => {
    const topology = topo(spec());
    const desired = renderKubernetes(topology);
    const p = planKube({
      topology,
      desired,
      specChanged: false,
      children: [],
      dryRun: new Map(desired.map((o) => [objectKey(o), stored(o)])),
      fieldManager: FIELD_MANAGER,
    });
    expect(p.nodes[0]!.objects[0]!.note).toMatch(/takes it over/);
  });
});

describe("ownedChanges", () => {
  const deployment = () => renderKubernetes(topo(spec())).find((o) => o.kind === "Deployment")!;

  it("ignores what other managers set, status and managedFields", () => {
    const d = deployment();
    const live = stored(d, d, [
      {
        manager: "kubectl",
        operation: "Update",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:annotations": { "f:owner": {} } } },
      },
    ]);
    live.metadata.annotations = { owner: "team-a" };
    const after = structuredClone(live);
    (after.status as { replicas: number }).replicas = 2;
    expect(ownedChanges(live, after, FIELD_MANAGER)).toEqual([]);
  });

  it("shows a field another manager took as the operator's value coming back", () => {
    const d = deployment();
    const { replicas: _r, ...rest } = d.spec;
    const live = stored(d, { ...d, spec: rest });
    (live.spec as { replicas: number }).replicas = 5;
    const after = stored(d);
    expect(ownedChanges(live, after, FIELD_MANAGER)).toEqual([{ path: "spec.replicas", from: 5, to: 1 }]);
  });

  it("shows a field the operator stops setting as removed, and a new one as added", () => {
    const d = deployment();
    const live = stored({ ...d, spec: { ...d.spec, minReadySeconds: 5 } });
    const next = { ...d, spec: { ...d.spec, paused: false } };
    expect(ownedChanges(live, stored(next), FIELD_MANAGER)).toEqual([
      { path: "spec.minReadySeconds", from: 5 },
      { path: "spec.paused", to: false },
    ]);
  });
});

describe("planKube with a task", () => {
  const withTask = (migrate: string) => ({
    nodes: [
      { name: "db", image: "pg:16", ports: [{ name: "pg", port: 5432 }] },
      { name: "migrate", image: migrate, task: {}, dependsOn: ["db"] },
      { name: "api", image: "api:1", ports: [{ name: "http", port: 80 }], dependsOn: ["migrate"] },
    ],
  });
  const planOf = (running: ReturnType<typeof withTask>, next: ReturnType<typeof withTask>) => {
    const before = renderKubernetes(topo(running as ReturnType<typeof spec>));
    const snapshot = snapshotOf(before);
    const topology = topo(next as ReturnType<typeof spec>);
    const desired = renderKubernetes(topology);
    return planKube({
      topology,
      desired,
      live: {
        spec: running,
        generation: 1,
        status: {
          revision: 1,
          history: [
            {
              revision: 1,
              hash: snapshot.hash,
              images: {},
              outcome: "Succeeded",
              at: "2026-01-01T00:00:00Z",
              generation: 1,
              tasks: { migrate: snapshot.templates.migrate! },
            },
          ],
        },
      },
      specChanged: JSON.stringify(running) !== JSON.stringify(next),
      children: before.map((o) => stored(o)),
      dryRun: new Map(desired.map((o) => [objectKey(o), stored(o)])),
      fieldManager: FIELD_MANAGER,
    });
  };

  it("runs nothing again for the running file", () => {
    const p = planOf(withTask("m:1"), withTask("m:1"));
    expect(p.tasks).toEqual([]);
    expect(p.changed).toBe(false);
  });

  it("runs a task whose template changes in a Job of its own, keeping the Job of the revision before", () => {
    const p = planOf(withTask("m:1"), withTask("m:2"));
    const migrate = p.nodes.find((n) => n.name === "migrate")!;
    expect(migrate.verdict).toBe("restart");
    // The new template's Job is created; the one revision 1 ran stays with it in the history.
    expect(migrate.objects.filter((o) => o.kind === "Job").map((o) => o.action)).toEqual(["create"]);
    expect(p.tasks).toEqual(["migrate"]);
    expect(p.startOrder).toEqual([["migrate"]]);
    expect(p.nodes.find((n) => n.name === "api")!.verdict).toBe("unchanged");
  });
});
