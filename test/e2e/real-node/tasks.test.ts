// A task for real: on the real node the kubelet runs the Job's container, so its exit code is real and its
// log is reachable through the API server (pods/log). A migration that succeeds gates api (its container
// ended before api's started); one that exits 3 fails the revision, which is rolled back, with the task's
// own last log lines in the failure message.
import type { V1Pod } from "@kubernetes/client-node";
import { request } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  kube,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "../operator/harness.ts";
import { createRealNodeNamespace, onRealNode, requireRealNode } from "../support/real-node.ts";
import { nodePods, suffix } from "./helpers.ts";

const NS = `rn-task-${suffix()}`;
const HTTP = [{ name: "http", port: 8080 }];
const HEALTH = { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "1s", retries: 2 };

const spec = (migrate: string) => ({
  nodes: [
    { name: "db", image: "topo/testsvc:local", ports: HTTP, health: HEALTH },
    {
      name: "migrate",
      image: "topo/busybox:local",
      command: ["sh", "-c", migrate],
      task: { timeout: "60s" },
      dependsOn: ["db"],
    },
    { name: "api", image: "topo/testsvc:local", ports: HTTP, health: HEALTH, dependsOn: ["migrate", "db"] },
  ],
  rollout: { progressDeadlineSeconds: 60 },
});

const pods = async (node: string): Promise<V1Pod[]> => nodePods(NS, "app", node);

describe("task nodes on the real node", () => {
  let op: OperatorProcess;
  beforeAll(async () => {
    await requireRealNode();
    await createRealNodeNamespace(NS);
    op = await startOperator({ namespace: NS });
  }, 60_000);
  afterAll(async () => {
    await op?.stop();
    await request(kube().kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
  });

  it("runs the migration in a real container before api starts", async () => {
    await applyTopology(topology(NS, "app", spec("echo migrating to 42; sleep 2; echo migrated")));
    await waitForPhase(NS, "app", "Ready", 120_000);
    const [task] = await pods("migrate");
    const [api] = await pods("api");
    expect(onRealNode(task as never)).toBe(true);
    const ended = task!.status!.containerStatuses![0]!.state!.terminated!;
    expect(ended.exitCode).toBe(0);
    const apiStarted = api!.status!.containerStatuses![0]!.state!.running!.startedAt!;
    expect(new Date(apiStarted).getTime()).toBeGreaterThanOrEqual(new Date(ended.finishedAt!).getTime());
  });

  it("fails the revision when the migration exits 3, rolls back, and says the migration's last log lines", async () => {
    const before = (await pods("api")).map((p) => p.metadata!.name).sort();
    await applyTopology(
      topology(
        NS,
        "app",
        spec('echo "migrating to 43"; echo "ERROR: relation \\"users\\" already exists" >&2; exit 3'),
      ),
    );
    const t = await waitFor(
      "revision 2 rolled back",
      async () => {
        const x = await readTopology(NS, "app");
        return x.status?.phase === "RolledBack" && x.status.revision === 2 && x;
      },
      120_000,
    );
    const message = t.status!.conditions!.find((c) => c.type === "RolledBack")!.message;
    expect(message).toMatch(/^revision 2 failed: BackoffLimitExceeded on node migrate: /);
    // Both streams' lines: the container runtime keeps no order between stdout and stderr written at once.
    const logs =
      /last log lines of pod app-migrate-[0-9a-f]{10}-\w+:\n([\s\S]*?)(?:; rolled back to revision \d+)?$/.exec(
        message,
      )?.[1];
    expect(logs?.split("\n").sort()).toEqual(['ERROR: relation "users" already exists', "migrating to 43"]);
    // api was never changed: the same pods run the first release.
    expect((await pods("api")).map((p) => p.metadata!.name).sort()).toEqual(before);
  });
});
