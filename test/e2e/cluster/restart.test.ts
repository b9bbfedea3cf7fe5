// hack/cluster.sh's restarts and faults, on a private cluster of this file's own (the shared one serves
// the other tests): `up` after a component died starts only that one, on the same etcd data; `restart`,
// `stop`/`start` and `freeze`/`thaw` one component; `up --fresh` starts an empty cluster; and after the API
// server was frozen past the node lease, the nodes and then their pods are Ready again.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../operator/harness.ts";
import {
  COMPONENTS,
  startPrivateCluster,
  type Component,
  type PrivateCluster,
} from "../support/private-cluster.ts";

const LEASE_SECONDS = 8;
const NODES = 2;

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}
interface Pod {
  metadata: { name: string; uid: string };
  status: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: { name: string; ready: boolean }[];
  };
}
interface Event {
  reason: string;
  involvedObject: { kind: string; name: string };
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

describe("hack/cluster.sh restarts and faults, on a private cluster", () => {
  let cluster: PrivateCluster;
  let markerUid: string;
  let replicas = 2;

  const json = async <T>(...args: string[]): Promise<T> =>
    JSON.parse(await cluster.kubectl([...args, "-o", "json"])) as T;
  const pids = () => Object.fromEntries(COMPONENTS.map((c) => [c, cluster.pidOf(c)]));
  const condition = (conditions: Condition[] | undefined, type: string) =>
    conditions?.find((c) => c.type === type);
  const pods = async () =>
    (await json<{ items: Pod[] }>("get", "pods", "-n", "default", "-l", "app=web")).items;
  const podReady = (p: Pod) =>
    p.status.phase === "Running" &&
    condition(p.status.conditions, "Ready")?.status === "True" &&
    condition(p.status.conditions, "ContainersReady")?.status === "True" &&
    (p.status.containerStatuses ?? []).length > 0 &&
    p.status.containerStatuses!.every((c) => c.ready);
  const nodesReady = async () =>
    (await json<{ items: { status: { conditions: Condition[] } }[] }>("get", "nodes")).items.filter(
      (n) => condition(n.status.conditions, "Ready")?.status === "True",
    ).length === NODES;

  /** The cluster works end to end: a scaled Deployment's new pod is scheduled and Ready on a fake node. */
  async function expectWorking(after: string): Promise<void> {
    replicas += 1;
    await cluster.kubectl(["scale", "deployment/web", "-n", "default", `--replicas=${replicas}`]);
    await waitFor(
      `${replicas} web pods Ready after ${after}`,
      async () => {
        const all = await pods();
        return all.length === replicas && all.every(podReady);
      },
      120_000,
    );
  }

  /** The ConfigMap created at the start is still the same object: the restart kept etcd's data. */
  async function expectSameData(): Promise<void> {
    const marker = await json<{ metadata: { uid: string } }>("get", "configmap", "marker", "-n", "default");
    expect(marker.metadata.uid).toBe(markerUid);
  }

  beforeAll(async () => {
    cluster = await startPrivateCluster({ name: "restart", nodeLeaseSeconds: LEASE_SECONDS, nodes: NODES });
    await cluster.kubectl(["create", "configmap", "marker", "-n", "default", "--from-literal=kept=yes"]);
    markerUid = (await json<{ metadata: { uid: string } }>("get", "configmap", "marker", "-n", "default"))
      .metadata.uid;
    await cluster.kubectl([
      "create",
      "deployment",
      "web",
      "-n",
      "default",
      "--image=web:1",
      `--replicas=${replicas}`,
    ]);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("runs on its own state dir and ports, beside the shared cluster", async () => {
    const status = await cluster.script(["status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`https://127.0.0.1:${cluster.ports.apiserver} ready`);
    expect(status.stdout).toContain(`kubeconfig               ${cluster.dir}/admin.kubeconfig`);
    expect(readFileSync(cluster.kubeconfig, "utf8")).toContain(
      `server: https://127.0.0.1:${cluster.ports.apiserver}`,
    );
    for (const c of COMPONENTS)
      expect(readFileSync(`/proc/${cluster.pidOf(c)}/cmdline`, "utf8")).toContain(cluster.dir);
  });

  it("a second `up` while everything runs restarts nothing and prints the kubeconfig path", async () => {
    const before = pids();
    const out = await cluster.script(["up"]);
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(cluster.kubeconfig);
    expect(pids()).toEqual(before);
  });

  it.each<Component>(["kube-apiserver", "kwok", "etcd"])(
    "`up` after %s was killed starts only it, on the same etcd data",
    async (killed) => {
      const before = pids();
      await cluster.kill(killed);
      const status = await cluster.script(["status"]);
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(new RegExp(`^${killed}\\s+stopped$`, "m"));

      const out = await cluster.script(["up"]);
      expect(out.code).toBe(0);
      expect(out.stdout.trim()).toBe(cluster.kubeconfig);
      expect(out.stderr).toContain(`(restarted: ${killed})`);
      const after = pids();
      for (const c of COMPONENTS)
        if (c === killed) expect({ c, pid: after[c] }).toEqual({ c, pid: expect.any(Number) });
        else expect({ c, pid: after[c] }).toEqual({ c, pid: before[c] });
      expect(after[killed]).not.toBe(before[killed]);
      await expectSameData();
      await expectWorking(`${killed} was killed and started again`);
    },
  );

  it.each<Component>([...COMPONENTS])(
    "`restart %s` replaces only its process, on the same data",
    async (c) => {
      const before = pids();
      const out = await cluster.script(["restart", c]);
      expect(out.code).toBe(0);
      expect(out.stderr).toMatch(new RegExp(`restarted ${c} in \\d+s \\(pid ${cluster.pidOf(c)}\\)`));
      const after = pids();
      expect(after[c]).toEqual(expect.any(Number));
      expect(after[c]).not.toBe(before[c]);
      expect({ ...after, [c]: before[c] }).toEqual(before);
      await expectSameData();
      await expectWorking(`restart ${c}`);
    },
  );

  it("`stop` and `start` one component; `status` reports it stopped in between", async () => {
    const before = pids();
    await cluster.stopComponent("kube-scheduler");
    expect(cluster.pidOf("kube-scheduler")).toBeUndefined();
    const status = await cluster.script(["status"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^kube-scheduler\s+stopped$/m);
    await cluster.startComponent("kube-scheduler");
    expect({ ...pids(), "kube-scheduler": before["kube-scheduler"] }).toEqual(before);
    await expectWorking("the scheduler was stopped and started");
  });

  it("a frozen component is reported frozen, and `up` thaws it rather than starting another", async () => {
    const before = pids();
    await cluster.freeze("kube-controller-manager");
    const status = await cluster.script(["status"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^kube-controller-manager\s+frozen\s+pid \d+$/m);
    const out = await cluster.script(["up"]);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain("kube-controller-manager");
    expect(out.stderr).toContain("was frozen: thawing it");
    expect(pids()).toEqual(before);
    expect((await cluster.script(["status"])).code).toBe(0);
    await expectWorking("the controller manager was thawed");
  });

  it("after the API server was frozen past the node lease, the nodes and then every pod are Ready again", async () => {
    const before = await pods();
    expect(before.length).toBe(replicas);
    expect(before.every(podReady)).toBe(true);
    const frozenAt = Math.floor(Date.now() / 1000) * 1000;
    await cluster.freeze("kube-apiserver");
    // Past the node monitor's grace (lease + 10 s) and its next check, so the node lifecycle controller
    // sees expired leases once the API server answers again.
    await new Promise((r) => setTimeout(r, (LEASE_SECONDS + 10 + 8) * 1000));
    // Taken before SIGCONT: nothing is written while the API server is frozen, so a Ready transition at or
    // after this second happened after the thaw. Taken after, it missed pods the node lifecycle controller
    // marked NotReady and kwok made Ready again while the thaw script was still exiting (CI of f0492a3).
    const thawedAt = Math.floor(Date.now() / 1000) * 1000;
    await cluster.thaw("kube-apiserver");

    await waitFor("the nodes Ready again", nodesReady, 120_000);
    const after = await waitFor(
      "every web pod Ready again",
      async () => {
        const all = await pods();
        return all.length === replicas && all.every(podReady) ? all : undefined;
      },
      120_000,
    );
    // The same pods (none evicted and replaced), each of which went NotReady and came back after the thaw.
    expect(after.map((p) => p.metadata.uid).sort()).toEqual(before.map((p) => p.metadata.uid).sort());
    for (const p of after)
      expect({
        pod: p.metadata.name,
        readySince: Date.parse(condition(p.status.conditions, "Ready")!.lastTransitionTime!) >= thawedAt,
      }).toEqual({ pod: p.metadata.name, readySince: true });
    const events = (await json<{ items: Event[] }>("get", "events", "-n", "default")).items.filter(
      (e) =>
        e.reason === "NodeNotReady" &&
        Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? "") >= frozenAt,
    );
    const notReady = (kind: string) =>
      [
        ...new Set(events.filter((e) => e.involvedObject.kind === kind).map((e) => e.involvedObject.name)),
      ].sort();
    expect(notReady("Node")).toEqual(Array.from({ length: NODES }, (_, i) => `kwok-node-${i}`));
    expect(notReady("Pod")).toEqual(after.map((p) => p.metadata.name).sort());
    const deployment = await json<{ status: { readyReplicas?: number } }>(
      "get",
      "deployment/web",
      "-n",
      "default",
    );
    expect(deployment.status.readyReplicas).toBe(replicas);
  });

  it("`up --fresh` replaces the cluster with an empty one: new PKI, no objects of the old", async () => {
    const ca = readFileSync(join(cluster.dir, "pki/ca.crt"), "utf8");
    await cluster.up({ fresh: true });
    expect(readFileSync(join(cluster.dir, "pki/ca.crt"), "utf8")).not.toBe(ca);
    await expect(cluster.kubectl(["get", "configmap", "marker", "-n", "default"])).rejects.toThrow(
      /NotFound/,
    );
    expect((await json<{ items: unknown[] }>("get", "deployments", "-n", "default")).items).toEqual([]);
    expect(await nodesReady()).toBe(true);
  });
});
