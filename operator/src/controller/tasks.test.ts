// How a task's Job reads in status: Running, Succeeded or Failed, and when an earlier failure runs again.
import { computeStatus } from "./status.ts";
import { failedEarlier, jobFailure, jobPhase, lastPodOf, observeTask, type JobLike } from "./tasks.ts";

const job = (status: JobLike["status"], revision = 2, hash = "h2"): JobLike => ({
  metadata: { name: "shop-migrate-h2", annotations: { "topo.dev/revision": String(revision) } },
  spec: {
    backoffLimit: 2,
    template: {
      metadata: { annotations: { "topo.dev/config-hash": hash } },
      spec: { containers: [{ name: "migrate", image: "migrate:2" }] },
    },
  },
  status,
});
const done = { conditions: [{ type: "Complete", status: "True" }], succeeded: 1 };
const failed = {
  failed: 3,
  conditions: [
    {
      type: "FailureTarget",
      status: "True",
      reason: "BackoffLimitExceeded",
      message: "Job has reached the specified backoff limit",
    },
  ],
};

describe("jobPhase", () => {
  it.each([
    [{}, "Running"],
    [{ active: 1 }, "Running"],
    [done, "Succeeded"],
    [{ conditions: [{ type: "SuccessCriteriaMet", status: "True" }] }, "Succeeded"],
    [failed, "Failed"],
    [{ conditions: [{ type: "Failed", status: "True", reason: "DeadlineExceeded" }] }, "Failed"],
    [{ conditions: [{ type: "Failed", status: "False" }] }, "Running"],
  ])("reads %j as %s", (status, phase) => {
    expect(jobPhase(job(status))).toBe(phase);
  });
});

describe("a Job that failed", () => {
  it("says its reason, its message and how many attempts failed", () => {
    expect(jobFailure(job(failed))).toEqual({
      reason: "BackoffLimitExceeded",
      message: "Job has reached the specified backoff limit (3 attempts failed)",
    });
  });

  it("runs again in a later revision, not in its own", () => {
    expect(failedEarlier(job(failed, 2), 3)).toBe(true);
    expect(failedEarlier(job(failed, 2), 2)).toBe(false);
    expect(failedEarlier(job(done, 2), 3)).toBe(false);
  });

  it("has its newest pod read for the log", () => {
    const pod = (name: string, at: string) => ({
      metadata: {
        name,
        labels: { "batch.kubernetes.io/job-name": "shop-migrate-h2" },
        creationTimestamp: at,
      },
    });
    const other = {
      metadata: {
        name: "x",
        labels: { "batch.kubernetes.io/job-name": "other" },
        creationTimestamp: "2030-01-01T00:00:09Z",
      },
    };
    expect(
      lastPodOf(job(failed), [
        pod("a", "2030-01-01T00:00:01Z"),
        other,
        pod("c", "2030-01-01T00:00:05Z"),
        pod("b", "2030-01-01T00:00:03Z"),
      ])?.metadata?.name,
    ).toBe("c");
  });
});

describe("observeTask", () => {
  const opts = { targetHash: "h2", revision: 2 };
  it.each([
    ["no Job yet", undefined, opts, { ready: false, task: { phase: "Running", message: "starting" } }],
    [
      "a Job running its second attempt",
      job({ active: 1, failed: 1 }),
      opts,
      { ready: false, task: { phase: "Running", message: "attempt 2 of 3" } },
    ],
    [
      "a Job that succeeded",
      job(done),
      opts,
      { ready: true, readyReplicas: 1, task: { phase: "Succeeded", message: "succeeded" } },
    ],
    [
      "a Job an earlier revision ran",
      job(done, 1),
      { targetHash: "h2", revision: 3 },
      { ready: true, task: { phase: "Succeeded", message: "succeeded in revision 1" } },
    ],
    [
      "a Job that failed",
      job(failed),
      opts,
      {
        ready: false,
        task: {
          phase: "Failed",
          message: "BackoffLimitExceeded: Job has reached the specified backoff limit (3 attempts failed)",
        },
      },
    ],
    [
      "a Job that failed in revision 2, in revision 3",
      job(failed),
      { targetHash: "h2", revision: 3 },
      { ready: false, task: { phase: "Running", message: "running again: it failed in revision 2" } },
    ],
    [
      "a task of a revision rolled back to",
      undefined,
      { ...opts, done: true, image: "migrate:1" },
      { ready: true, image: "migrate:1", task: { phase: "Succeeded", message: "succeeded; not run again" } },
    ],
  ])("reads %s", (_what, j, o, expected) => {
    expect(observeTask("migrate", j, o)).toMatchObject({ name: "migrate", replicas: 1, ...expected });
  });

  it("puts a task's own phase in the node status, and counts it Ready only once it succeeded", () => {
    const status = computeStatus({
      generation: 1,
      previous: undefined,
      nodes: [
        observeTask("migrate", job({ active: 1 }), opts),
        {
          name: "api",
          replicas: 1,
          readyReplicas: 0,
          ready: false,
          waitingOn: ["migrate"],
          waitingOnTasks: ["migrate"],
        },
      ],
      decision: {
        history: [{ revision: 2, hash: "x", images: {}, outcome: "Progressing", at: "2030-01-01T00:00:00Z" }],
        revision: 2,
        changed: ["migrate", "api"],
        target: "desired",
      },
      now: new Date("2030-01-01T00:00:10Z"),
    });
    expect(status.nodes).toEqual([
      expect.objectContaining({ name: "migrate", phase: "Running", message: "running" }),
      expect.objectContaining({ name: "api", phase: "Waiting", message: "waiting for migrate to succeed" }),
    ]);
    expect(status.readyNodes).toBe("0/2");
    expect(status.phase).toBe("Progressing");
  });
});
