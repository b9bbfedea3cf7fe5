// The operator survives being killed: mid-reconcile it converges on restart without duplicates, and with
// two replicas exactly one leads and the other takes over when the leader dies.
import {
  applyTopology,
  counter,
  createNamespace,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "./harness.ts";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import { kube } from "./harness.ts";

const mesh = (count: number, image: string) => ({
  generators: [
    { prefix: "m", count, shape: "mesh", template: { image, ports: [{ name: "http", port: 80 }] } },
  ],
  nodes: [{ name: "store", image, ports: [{ name: "tcp", port: 6379 }] }],
});

describe("the operator under failure", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  const running: OperatorProcess[] = [];
  beforeAll(async () => {
    ns = await createNamespace("topo-crash");
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
  });
  afterAll(async () => {
    await ns?.remove();
  });

  it("killed in the middle of a reconcile, converges after a restart with no duplicates", async () => {
    const first = await startOperator({ namespace: ns.name });
    running.push(first);
    await applyTopology(topology(ns.name, "lab", mesh(12, "svc:1")));
    // Kill it hard as soon as it has written part of the children, before it has written all of them.
    await waitFor(
      "the first children",
      async () => counter(await first.metrics(), "topo_api_writes_total") > 0,
      30_000,
      20,
    );
    await first.stop("SIGKILL");
    const partial = await listOwned(ns.name, "Deployment", "apps/v1", "lab");
    expect(partial.length).toBeLessThan(13);

    const second = await startOperator({ namespace: ns.name });
    running.push(second);
    const t = await waitForPhase(ns.name, "lab", "Ready");
    expect(t.status).toMatchObject({ readyNodes: "13/13", revision: 1, lastGoodRevision: 1 });
    expect(t.status!.history!.map((h) => h.revision)).toEqual([1]);
    const names = (await listOwned(ns.name, "Deployment", "apps/v1", "lab")).map((d) => d.metadata!.name!);
    expect(names.length).toBe(13);
    expect(new Set(names).size).toBe(13);
    const revisions = await request<{ items: unknown[] }>(
      kube().kc,
      "GET",
      resourcePath("apps/v1", "ControllerRevision", ns.name),
      {
        query: { labelSelector: "topo.dev/topology=lab" },
      },
    );
    // A revision is kept only once a newer one supersedes it: creating costs no ControllerRevision.
    expect(revisions.items).toHaveLength(0);
    // And it is idle once converged: a resync writes nothing.
    const before = counter(await second.metrics(), "topo_api_writes_total");
    await new Promise((r) => setTimeout(r, 4000));
    expect(counter(await second.metrics(), "topo_api_writes_total")).toBe(before);
  });

  it("with two replicas, one leads; when it is killed the other takes over in under 20 seconds", async () => {
    const env = { TOPO_LEADER_ELECT: "true", TOPO_LEASE_NAMESPACE: ns.name, TOPO_LEASE_NAME: "topo-e2e" };
    const [a, b] = await Promise.all([
      startOperator({ namespace: ns.name, env }),
      startOperator({ namespace: ns.name, env }),
    ]);
    running.push(a!, b!);
    const leaderOf = async () => {
      const flags = await Promise.all([a!, b!].map(async (p) => counter(await p.metrics(), "topo_leader")));
      return flags;
    };
    const flags = await waitFor(
      "one leader",
      async () => {
        const f = await leaderOf();
        return f[0]! + f[1]! === 1 ? f : undefined;
      },
      30_000,
    );
    const [leader, follower] = flags[0] === 1 ? [a!, b!] : [b!, a!];
    // The follower is ready (it serves /metrics and the dashboard) but does not reconcile.
    expect((await fetch(`http://127.0.0.1:${follower.port}/readyz`)).status).toBe(200);
    await applyTopology(topology(ns.name, "small", { nodes: [{ name: "one", image: "svc:1" }] }));
    await waitForPhase(ns.name, "small", "Ready");
    expect(counter(await follower.metrics(), "topo_reconcile_total")).toBe(0);

    const killedAt = Date.now();
    await leader.stop("SIGKILL");
    await waitFor(
      "the follower to lead",
      async () => counter(await follower.metrics(), "topo_leader") === 1,
      30_000,
      100,
    );
    const tookOver = (Date.now() - killedAt) / 1000;
    expect(tookOver).toBeLessThan(20);
    // The new leader reconciles: a topology applied now becomes Ready.
    await applyTopology(topology(ns.name, "after", { nodes: [{ name: "two", image: "svc:1" }] }));
    const t = await waitForPhase(ns.name, "after", "Ready");
    expect(t.status!.readyNodes).toBe("1/1");
    expect((await readTopology(ns.name, "small")).status!.phase).toBe("Ready");
  });
});
