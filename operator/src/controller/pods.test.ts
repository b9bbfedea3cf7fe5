import { trimPod } from "../kube/cache-transform.ts";
import { findPodFailures, findUnschedulable, spreadOver, type PodLike } from "./pods.ts";

const NOW = new Date("2026-11-23T10:01:00Z");
const pod = (reason: string, hash: string, createdSecondsAgo: number, node = "api"): PodLike => ({
  metadata: {
    labels: { "topo.dev/node": node },
    annotations: { "topo.dev/config-hash": hash },
    creationTimestamp: new Date(NOW.getTime() - createdSecondsAgo * 1000).toISOString(),
  },
  status: { containerStatuses: [{ name: "api", state: { waiting: { reason, message: "back-off" } } }] },
});

describe("findPodFailures", () => {
  it("reports a pod of the target revision in CrashLoopBackOff past the grace period", () => {
    expect(findPodFailures([pod("CrashLoopBackOff", "new", 30)], { api: "new" }, NOW, 10_000)).toEqual({
      failures: [{ node: "api", reason: "CrashLoopBackOff", message: "back-off" }],
    });
  });
  it("reports every failing node, the first failing pod of each, so none hides another", () => {
    const pods = [
      pod("CrashLoopBackOff", "p1", 30, "postgres"),
      pod("ImagePullBackOff", "p1", 30, "postgres"),
      pod("ErrImagePull", "a2", 30, "api"),
    ];
    expect(
      findPodFailures(pods, { api: "a2", postgres: "p1" }, NOW, 10_000).failures.map((f) => [
        f.node,
        f.reason,
      ]),
    ).toEqual([
      ["postgres", "CrashLoopBackOff"],
      ["api", "ErrImagePull"],
    ]);
  });
  it("waits out the grace period and says when to look again", () => {
    expect(findPodFailures([pod("ImagePullBackOff", "new", 4)], { api: "new" }, NOW, 10_000)).toEqual({
      failures: [],
      retryInMs: 6000,
    });
  });
  it("ignores pods of other revisions and reasons that are not terminal", () => {
    expect(
      findPodFailures(
        [pod("CrashLoopBackOff", "old", 30), pod("ContainerCreating", "new", 30)],
        { api: "new" },
        NOW,
        10_000,
      ),
    ).toEqual({ failures: [] });
  });
});

describe("findPodFailures on a pod trimmed for the informer cache", () => {
  it("finds the same failure in the trimmed pod as in the whole one", () => {
    const whole = {
      metadata: {
        name: "web-api-5d9c-x",
        labels: { "topo.dev/node": "api" },
        annotations: {
          "topo.dev/config-hash": "h1",
          "kubectl.kubernetes.io/last-applied-configuration": "{}",
        },
        creationTimestamp: "2026-01-01T00:00:00Z",
        managedFields: [{ manager: "kubelet" }],
      },
      spec: { containers: [{ name: "api", image: "api:1" }] },
      status: {
        phase: "Running",
        containerStatuses: [
          {
            name: "api",
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
          },
        ],
      },
    };
    const now = new Date("2026-01-01T00:01:00Z");
    const judge = (p: object) => findPodFailures([p as PodLike], { api: "h1" }, now, 10_000);
    expect(judge(trimPod(whole))).toEqual(judge(whole));
    expect(judge(trimPod(whole)).failures[0]).toMatchObject({ node: "api", reason: "CrashLoopBackOff" });
  });
});

/** A pod of `node` on cluster node `host` (none: not scheduled), Ready or not. */
const placed = (
  node: string,
  host: string | undefined,
  ready: boolean,
  extra: Partial<PodLike> = {},
): PodLike => ({
  metadata: { labels: { "topo.dev/node": node }, annotations: { "topo.dev/config-hash": "h" } },
  ...(host ? { spec: { nodeName: host } } : {}),
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  ...extra,
});

describe("spreadOver", () => {
  it("counts the distinct cluster nodes of each node's Ready pods", () => {
    const pods = [
      placed("api", "n1", true),
      placed("api", "n2", true),
      placed("api", "n2", true),
      placed("api", "n3", false),
      placed("db", "n1", true),
    ];
    expect(spreadOver(pods)).toEqual(
      new Map([
        ["api", 2],
        ["db", 1],
      ]),
    );
  });

  it("leaves out pods not Ready, not scheduled or being deleted", () => {
    const deleting = placed("api", "n2", true);
    deleting.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z";
    expect(spreadOver([placed("api", undefined, true), placed("api", "n1", false), deleting])).toEqual(
      new Map(),
    );
  });
});

describe("findUnschedulable", () => {
  const pending = (
    hash: string,
    message = "0/4 nodes are available: 4 node(s) didn't match pod topology spread constraints.",
  ): PodLike => ({
    metadata: { labels: { "topo.dev/node": "api" }, annotations: { "topo.dev/config-hash": hash } },
    status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] },
  });

  it("says how many pods of the target template wait for a cluster node, and the scheduler's reason", () => {
    expect(
      findUnschedulable([pending("new"), pending("new"), placed("api", "n1", true)], { api: "new" }),
    ).toEqual(
      new Map([
        [
          "api",
          "2 pods unschedulable: 0/4 nodes are available: 4 node(s) didn't match pod topology spread constraints.",
        ],
      ]),
    );
  });

  it("ignores pods of another template and pods merely not yet scheduled", () => {
    const fresh: PodLike = {
      metadata: { labels: { "topo.dev/node": "api" }, annotations: { "topo.dev/config-hash": "new" } },
      status: { conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] },
    };
    expect(findUnschedulable([pending("old"), fresh], { api: "new" })).toEqual(new Map());
  });
});
