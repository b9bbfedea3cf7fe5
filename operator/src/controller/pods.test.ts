import { findPodFailure, type PodLike } from "./pods.ts";

const NOW = new Date("2026-11-23T10:01:00Z");
const pod = (reason: string, hash: string, createdSecondsAgo: number): PodLike => ({
  metadata: {
    labels: { "topo.dev/node": "api" },
    annotations: { "topo.dev/config-hash": hash },
    creationTimestamp: new Date(NOW.getTime() - createdSecondsAgo * 1000).toISOString(),
  },
  status: { containerStatuses: [{ name: "api", state: { waiting: { reason, message: "back-off" } } }] },
});

describe("findPodFailure", () => {
  it("reports a pod of the target revision in CrashLoopBackOff past the grace period", () => {
    expect(findPodFailure([pod("CrashLoopBackOff", "new", 30)], { api: "new" }, NOW, 10_000).failure).toEqual(
      { node: "api", reason: "CrashLoopBackOff", message: "back-off" },
    );
  });
  it("waits out the grace period and says when to look again", () => {
    expect(findPodFailure([pod("ImagePullBackOff", "new", 4)], { api: "new" }, NOW, 10_000)).toEqual({
      retryInMs: 6000,
    });
  });
  it("ignores pods of other revisions and reasons that are not terminal", () => {
    expect(
      findPodFailure(
        [pod("CrashLoopBackOff", "old", 30), pod("ContainerCreating", "new", 30)],
        { api: "new" },
        NOW,
        10_000,
      ),
    ).toEqual({});
  });
});
