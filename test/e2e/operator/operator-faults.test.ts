// Faults of the operator itself, on the shared control plane: killed with SIGKILL right after a spec
// change, and a leader frozen (SIGSTOP) beyond its lease while a second replica waits. The faults of the
// control plane (API server frozen or killed, etcd restarted) run on a private cluster in
// control-plane-faults.test.ts.
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import { record } from "../support/measure.ts";
import {
  applyTopology,
  counter,
  createNamespace,
  kube,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "./harness.ts";

const spec = (image: string) => ({
  nodes: [
    { name: "db", image: "svc:1", ports: [{ name: "pg", port: 5432 }] },
    { name: "api", image, ports: [{ name: "http", port: 80 }], dependsOn: ["db"] },
  ],
  generators: [
    { prefix: "conn", count: 6, shape: "ring", template: { image, ports: [{ name: "http", port: 80 }] } },
  ],
});

interface LogLine {
  msg?: string;
  object?: string;
}
const lines = (text: string): LogLine[] =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);

describe("the operator's own faults", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  const running: OperatorProcess[] = [];
  beforeAll(async () => {
    ns = await createNamespace("topo-opfault");
  });
  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.child.kill("SIGCONT");
      await p.stop("SIGKILL");
    }
  });
  afterAll(async () => {
    await ns?.remove();
  });

  it("killed with SIGKILL right after a spec change, converges on restart with no duplicate children and an intact history", async () => {
    const first = await startOperator({ namespace: ns.name });
    running.push(first);
    await applyTopology(topology(ns.name, "lab", spec("svc:1")));
    await waitForPhase(ns.name, "lab", "Ready");
    const idle = counter(await first.metrics(), "topo_api_writes_total");

    await applyTopology(topology(ns.name, "lab", spec("svc:2")));
    // Killed as soon as the new revision has written anything, before it has written everything.
    await waitFor(
      "the first write of revision 2",
      async () => counter(await first.metrics(), "topo_api_writes_total") > idle,
      30_000,
      10,
    );
    await first.stop("SIGKILL");
    const killedAt = Date.now();
    const images = (await listOwned(ns.name, "Deployment", "apps/v1", "lab")).map(
      (d) =>
        (d as { spec?: { template?: { spec?: { containers?: { image: string }[] } } } }).spec!.template!.spec!
          .containers![0]!.image,
    );
    expect(images.filter((i) => i === "svc:2").length).toBeLessThan(7); // caught mid-rollout

    const second = await startOperator({ namespace: ns.name });
    running.push(second);
    const t = await waitFor(
      "revision 2 Ready",
      async () => {
        const x = await readTopology(ns.name, "lab");
        return x.status?.phase === "Ready" && x.status.revision === 2 ? x : undefined;
      },
      90_000,
    );
    record("operator SIGKILL after a spec change", { convergeSeconds: (Date.now() - killedAt) / 1000 });
    expect(t.status).toMatchObject({ readyNodes: "8/8", revision: 2, lastGoodRevision: 2 });
    expect(t.status!.history!.map((h) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [2, "Succeeded"],
    ]);
    const deployments = await listOwned(ns.name, "Deployment", "apps/v1", "lab");
    const names = deployments.map((d) => d.metadata!.name!);
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);
    for (const kind of [
      ["v1", "Service"],
      ["networking.k8s.io/v1", "NetworkPolicy"],
    ] as const) {
      const objs = (await listOwned(ns.name, kind[1], kind[0], "lab")).map((o) => o.metadata!.name!);
      expect(new Set(objs).size).toBe(objs.length);
    }
    // Revision 1 was kept exactly once, before revision 2's first write, and it holds revision 1's images.
    const revisions = await request<{
      items: { metadata: { name: string }; data: { objects: unknown[] } }[];
    }>(kube().kc, "GET", resourcePath("apps/v1", "ControllerRevision", ns.name), {
      query: { labelSelector: "topo.dev/topology=lab" },
    });
    expect(revisions.items.map((r) => r.metadata.name)).toEqual(["lab-r1"]);
    expect(JSON.stringify(revisions.items[0]!.data.objects)).not.toContain("svc:2");
    // Converged means idle: a resync writes nothing.
    const before = counter(await second.metrics(), "topo_api_writes_total");
    await new Promise((r) => setTimeout(r, 4000));
    expect(counter(await second.metrics(), "topo_api_writes_total")).toBe(before);
  });

  it("with two replicas, a leader frozen beyond its lease is replaced in under 20 seconds and, resumed, writes nothing", async () => {
    const env = {
      TOPO_LEADER_ELECT: "true",
      TOPO_LEASE_NAMESPACE: ns.name,
      TOPO_LEASE_NAME: "topo-freeze",
      TOPO_LEASE_DURATION_SECONDS: "8",
      TOPO_RENEW_DEADLINE_SECONDS: "5",
      TOPO_RETRY_PERIOD_SECONDS: "1",
      TOPO_RESYNC_SECONDS: "2",
    };
    const [a, b] = await Promise.all([
      startOperator({ namespace: ns.name, env }),
      startOperator({ namespace: ns.name, env }),
    ]);
    running.push(a!, b!);
    const flags = await waitFor(
      "one leader",
      async () => {
        const f = await Promise.all([a!, b!].map(async (p) => counter(await p.metrics(), "topo_leader")));
        return f[0]! + f[1]! === 1 ? f : undefined;
      },
      30_000,
    );
    const [leader, follower] = flags[0] === 1 ? [a!, b!] : [b!, a!];
    await applyTopology(topology(ns.name, "frozen", spec("svc:1")));
    await waitForPhase(ns.name, "frozen", "Ready");

    leader.child.kill("SIGSTOP");
    const frozenAt = Date.now();
    // While it is frozen the user changes the spec: the change is the new leader's to make.
    await applyTopology(topology(ns.name, "frozen", spec("svc:3")));
    await waitFor(
      "the follower to lead",
      async () => counter(await follower.metrics(), "topo_leader") === 1,
      30_000,
      100,
    );
    const tookOver = (Date.now() - frozenAt) / 1000;
    expect(tookOver).toBeLessThan(20);
    const t = await waitFor(
      "revision 2 Ready under the new leader",
      async () => {
        const x = await readTopology(ns.name, "frozen");
        return x.status?.phase === "Ready" && x.status.revision === 2 ? x : undefined;
      },
      90_000,
    );
    record("leader frozen beyond its lease", {
      takeOverSeconds: tookOver,
      convergeSeconds: (Date.now() - frozenAt) / 1000,
    });

    // Resumed: the old leader steps down and exits without one write, although its queue and watches
    // hold work (a resync is due and the spec changed while it slept).
    const logStart = leader.logs().length;
    const exited = new Promise<number | null>((resolve) =>
      leader.child.once("exit", (code) => resolve(code)),
    );
    leader.child.kill("SIGCONT");
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r("running"), 20_000)),
    ]);
    expect(code).toBe(1);
    const after = lines(leader.logs().slice(logStart));
    expect(after.map((l) => l.msg)).toContain("lost leadership");
    expect(after.filter((l) => l.msg === "applying")).toEqual([]);
    // What the new leader wrote stands.
    const now = await readTopology(ns.name, "frozen");
    expect(now.status).toMatchObject({ phase: "Ready", revision: 2 });
    expect(now.status!.history!.map((h) => h.revision)).toEqual(t.status!.history!.map((h) => h.revision));
  });
});
