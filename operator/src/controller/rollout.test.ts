import type { HistoryEntry } from "../api/schema.ts";
import type { KubeObject } from "../render/k8s/index.ts";
import { decideRollout, snapshotOf, type RolloutInput, type RevisionSnapshot } from "./rollout.ts";

const snap = (hash: string, image = `img:${hash}`): RevisionSnapshot => ({
  hash,
  templates: { a: hash },
  images: { a: image },
});
const T0 = new Date("2026-11-23T10:00:00Z");
const after = (s: number) => new Date(T0.getTime() + s * 1000);
const entry = (
  revision: number,
  hash: string,
  outcome: HistoryEntry["outcome"],
  generation = revision,
): HistoryEntry => ({
  revision,
  hash,
  images: { a: `img:${hash}` },
  outcome,
  at: T0.toISOString(),
  generation,
});
const input = (over: Partial<RolloutInput>): RolloutInput => ({
  generation: 1,
  desired: snap("h1"),
  history: [],
  ready: false,
  now: T0,
  progressDeadlineSeconds: 90,
  autoRollback: true,
  historyLimit: 10,
  ...over,
});

describe("decideRollout", () => {
  it("starts revision 1 for a new topology and asks to look again at the deadline", () => {
    const d = decideRollout(input({}));
    expect(d).toMatchObject({ revision: 1, target: "desired", started: true, requeueAfterMs: 90_000 });
    expect(d.history).toEqual([
      expect.objectContaining({ revision: 1, outcome: "Progressing", hash: "h1", generation: 1 }),
    ]);
  });

  it("marks the revision good once every node is ready", () => {
    const d = decideRollout(input({ history: [entry(1, "h1", "Progressing", 1)], ready: true }));
    expect(d.history[0]!.outcome).toBe("Succeeded");
    expect(d.lastGoodRevision).toBe(1);
    expect(d.started).toBeUndefined();
  });

  it("changes nothing when the ready revision is still the desired one", () => {
    const history = [entry(1, "h1", "Succeeded", 1)];
    const d = decideRollout(input({ history, lastGoodRevision: 1, ready: true }));
    expect(d.history).toEqual(history);
    expect(d).toMatchObject({ revision: 1, lastGoodRevision: 1, target: "desired" });
  });

  it("starts a new revision when the pod templates change", () => {
    const d = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history: [entry(1, "h1", "Succeeded", 1)],
        lastGoodRevision: 1,
        now: after(5),
      }),
    );
    expect(d.revision).toBe(2);
    expect(d.history.map((h) => h.outcome)).toEqual(["Succeeded", "Progressing"]);
  });

  it("rolls back when the new revision is not ready by the deadline", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)];
    const d = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history,
        lastGoodRevision: 1,
        now: after(97),
        firstNotReady: "a",
      }),
    );
    expect(d.target).toBe("lastGood");
    // Judged failed at its deadline, though the reconcile came later: recovery time counts from there.
    expect(d.rolledBack).toEqual({
      revision: 2,
      to: 1,
      node: "a",
      reason: "ProgressDeadlineExceeded",
      failedAt: after(90).getTime(),
    });
    expect(d.history[1]).toMatchObject({ outcome: "RolledBack", reason: "not Ready within 90s (node a)" });
  });

  it("rolls back before the deadline when a pod of the new revision is failing", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)];
    const d = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history,
        lastGoodRevision: 1,
        now: after(20),
        failure: { node: "a", reason: "CrashLoopBackOff" },
      }),
    );
    expect(d.rolledBack).toMatchObject({
      node: "a",
      reason: "CrashLoopBackOff",
      failedAt: after(20).getTime(),
    });
  });

  it("does not retry a rolled-back revision until the spec changes again", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "RolledBack", 2)];
    const same = decideRollout(
      input({ generation: 2, desired: snap("h2"), history, lastGoodRevision: 1, now: after(300) }),
    );
    expect(same).toMatchObject({ target: "lastGood", revision: 2 });
    expect(same.started).toBeUndefined();
    const edited = decideRollout(
      input({ generation: 3, desired: snap("h2"), history, lastGoodRevision: 1, now: after(300) }),
    );
    expect(edited).toMatchObject({ target: "desired", revision: 3, started: true });
  });

  it("marks the revision failed, without rolling back, when autoRollback is off or nothing was ever good", () => {
    const history = [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)];
    const off = decideRollout(
      input({
        generation: 2,
        desired: snap("h2"),
        history,
        lastGoodRevision: 1,
        now: after(91),
        autoRollback: false,
        firstNotReady: "a",
      }),
    );
    expect(off).toMatchObject({ target: "desired", failed: { revision: 2, node: "a" } });
    const first = decideRollout(
      input({ history: [entry(1, "h1", "Progressing", 1)], now: after(91), firstNotReady: "a" }),
    );
    expect(first.history[0]!.outcome).toBe("Failed");
    expect(first.target).toBe("desired");
  });

  it("supersedes a revision still in progress when the spec changes", () => {
    const d = decideRollout(
      input({
        generation: 3,
        desired: snap("h3"),
        history: [entry(1, "h1", "Succeeded", 1), entry(2, "h2", "Progressing", 2)],
        lastGoodRevision: 1,
      }),
    );
    expect(d.history.map((h) => h.outcome)).toEqual(["Succeeded", "Superseded", "Progressing"]);
  });

  it("keeps historyLimit entries but never drops the last good one", () => {
    const history = [
      entry(1, "h1", "Succeeded", 1),
      entry(2, "h2", "Failed", 2),
      entry(3, "h3", "Failed", 3),
    ];
    const d = decideRollout(
      input({ generation: 4, desired: snap("h4"), history, lastGoodRevision: 1, historyLimit: 2 }),
    );
    expect(d.history.map((h) => h.revision)).toEqual([1, 4]);
  });
});

describe("snapshotOf", () => {
  const deployment = (node: string, hash: string) =>
    ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `t-${node}`, labels: { "topo.dev/node": node } },
      spec: {
        template: {
          metadata: { annotations: { "topo.dev/config-hash": hash } },
          spec: { containers: [{ name: node, image: `${node}:1` }] },
        },
      },
    }) as unknown as KubeObject;

  it("hashes the set of pod templates, whatever the order of the objects", () => {
    const a = snapshotOf([deployment("web", "h1"), deployment("db", "h2")]);
    const b = snapshotOf([deployment("db", "h2"), deployment("web", "h1")]);
    expect(a.hash).toBe(b.hash);
    expect(a.templates).toEqual({ web: "h1", db: "h2" });
    expect(a.images).toEqual({ web: "web:1", db: "db:1" });
  });

  it("changes when one template changes", () => {
    const a = snapshotOf([deployment("web", "h1"), deployment("db", "h2")]);
    expect(snapshotOf([deployment("web", "h1"), deployment("db", "h3")]).hash).not.toBe(a.hash);
  });
});
