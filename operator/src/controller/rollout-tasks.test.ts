// decideRollout and snapshotOf with task nodes: the revision records its tasks, a running task holds the
// progress deadline, a failed one fails the revision with its detail, and a rollback never waits on one.
import type { HistoryEntry } from "../api/schema.ts";
import { renderKubernetes } from "../render/k8s/index.ts";
import { resolve } from "../../../test/unit/fixtures.ts";
import { decideRollout, snapshotOf, type RevisionSnapshot, type RolloutInput } from "./rollout.ts";

const T0 = new Date("2026-11-23T10:00:00Z");
const after = (s: number) => new Date(T0.getTime() + s * 1000);
// api, and migrate: a task.
const snap = (h: string): RevisionSnapshot => ({
  hash: `rev-${h}`,
  templates: { api: `api-${h}`, migrate: `migrate-${h}` },
  images: { api: `api:${h}`, migrate: `migrate:${h}` },
  tasks: ["migrate"],
});
const entry = (revision: number, h: string, outcome: HistoryEntry["outcome"]): HistoryEntry => ({
  revision,
  hash: `rev-${h}`,
  images: {},
  outcome,
  at: T0.toISOString(),
  generation: revision,
  tasks: { migrate: `migrate-${h}` },
});
const input = (over: Partial<RolloutInput>): RolloutInput => ({
  generation: 2,
  desired: snap("2"),
  history: [entry(1, "1", "Succeeded"), entry(2, "2", "Progressing")],
  lastGoodRevision: 1,
  previousTemplates: snap("1").templates,
  previousTasks: ["migrate"],
  readyNodes: [],
  failures: [],
  now: T0,
  progressDeadlineSeconds: 30,
  autoRollback: true,
  historyLimit: 10,
  ...over,
});

describe("decideRollout with tasks", () => {
  it("records each task's template in the history entry of the revision it starts", () => {
    const d = decideRollout(input({ generation: 1, history: [], lastGoodRevision: undefined }));
    expect(d.history).toEqual([expect.objectContaining({ revision: 1, tasks: { migrate: "migrate-2" } })]);
  });

  it("does not judge the revision by its deadline while a changed task runs, nor asks to look again", () => {
    const d = decideRollout(input({ now: after(300), tasks: { running: true } }));
    expect(d.history[1]!.outcome).toBe("Progressing");
    expect(d.requeueAfterMs).toBeUndefined();
    expect(d.rolledBack).toBeUndefined();
  });

  it("gives the nodes that waited the whole deadline from when the task succeeded", () => {
    const succeededAt = after(100).getTime();
    const waiting = decideRollout(
      input({ now: after(120), readyNodes: ["migrate"], tasks: { running: false, succeededAt } }),
    );
    expect(waiting.history[1]!.outcome).toBe("Progressing");
    expect(waiting.requeueAfterMs).toBe(10_000);
    const late = decideRollout(
      input({ now: after(131), readyNodes: ["migrate"], tasks: { running: false, succeededAt } }),
    );
    expect(late.rolledBack).toMatchObject({ node: "api", reason: "ProgressDeadlineExceeded", to: 1 });
  });

  it("fails the revision on a failed task at once, its detail in the reason, and rolls back", () => {
    const d = decideRollout(
      input({
        failures: [
          {
            node: "migrate",
            reason: "BackoffLimitExceeded",
            message: "m",
            detail: "m; last log lines:\nboom",
          },
        ],
      }),
    );
    expect(d.history[1]).toMatchObject({
      outcome: "RolledBack",
      reason: "BackoffLimitExceeded on node migrate: m; last log lines:\nboom",
    });
    expect(d).toMatchObject({ target: "lastGood", rolledBack: { node: "migrate", to: 1 } });
  });

  it("measures the recovery without waiting on the task of the revision rolled back to", () => {
    const rolledBack = { ...entry(2, "2", "RolledBack"), rollbackAt: T0.toISOString() };
    const d = decideRollout(
      input({
        history: [entry(1, "1", "Succeeded"), rolledBack],
        now: after(4),
        readyTemplates: { api: "api-1" },
      }),
    );
    expect(d.recovered).toEqual({ revision: 1, seconds: 4, trigger: "automatic" });
  });

  it("holds a pin Succeeded once its services run Ready, its task not run again", () => {
    const d = decideRollout(
      input({
        history: [entry(1, "1", "Succeeded"), entry(2, "2", "Succeeded")],
        lastGoodRevision: 2,
        pin: { revision: 1, snapshot: snap("1") },
        readyTemplates: { api: "api-1" },
      }),
    );
    expect(d.history.at(-1)).toMatchObject({
      revision: 1,
      trigger: "manual",
      outcome: "Succeeded",
      tasks: { migrate: "migrate-1" },
    });
  });
});

describe("snapshotOf with tasks", () => {
  const shop = (migrate: string) =>
    resolve({
      nodes: [
        { name: "migrate", image: migrate, task: {} },
        { name: "api", image: "api:1", dependsOn: ["migrate"] },
      ],
    });

  it("counts a task's Job template in the revision and names it a task", () => {
    const a = snapshotOf(renderKubernetes(shop("migrate:1")));
    expect(a.tasks).toEqual(["migrate"]);
    expect(Object.keys(a.templates).sort()).toEqual(["api", "migrate"]);
    expect(a.images.migrate).toBe("migrate:1");
    expect(snapshotOf(renderKubernetes(shop("migrate:2"))).hash).not.toBe(a.hash);
  });
});
