// Rollback by hand against a real API server with kwok nodes: `topo rollback NAME -n NS --to N` (the
// annotation topo.dev/rollback-to) restores revision N on every node it changed, pins it through an
// operator restart and a spec change, rolls forward on release; a revision no longer kept changes nothing.
import type { KubernetesObject } from "@kubernetes/client-node";
import { topo } from "../../unit/topo.ts";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import { record } from "../support/measure.ts";
import {
  applyTopology,
  counter,
  createNamespace,
  events,
  kube,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  type OperatorProcess,
  type TopologyObject,
} from "./harness.ts";

type Deployment = KubernetesObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
type Entry = {
  revision: number;
  outcome: string;
  trigger?: string;
  from?: number;
  recoverySeconds?: number;
};

const web = (release: number, rollout: Record<string, unknown> = {}) => ({
  nodes: [
    // db changes in release 3 only; api in every release; cache never: the unchanged node.
    { name: "db", image: `db:${release >= 3 ? 2 : 1}`, ports: [{ name: "pg", port: 5432 }] },
    { name: "api", image: `api:${release}`, ports: [{ name: "http", port: 8080 }], dependsOn: ["db"] },
    { name: "cache", image: "cache:1", ports: [{ name: "redis", port: 6379 }] },
  ],
  rollout: { progressDeadlineSeconds: 30, ...rollout },
});

describe("rollback by hand", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  const env = () => ({ KUBECONFIG: process.env.KUBECONFIG! });
  const cli = (...args: string[]) => topo(args, "", { env: env() });

  beforeAll(async () => {
    ns = await createNamespace("topo-manual");
    op = await startOperator({ namespace: ns.name });
  });
  afterAll(async () => {
    await op?.stop();
    await ns?.remove();
  });

  const images = async (name: string) =>
    Object.fromEntries(
      ((await listOwned(ns.name, "Deployment", "apps/v1", name)) as Deployment[]).map((d) => [
        d.metadata!.name!.slice(name.length + 1),
        d.spec.template.spec.containers[0]!.image,
      ]),
    );
  const history = (t: TopologyObject) => (t.status!.history as Entry[]).map((h) => [h.revision, h.outcome]);
  const condition = (t: TopologyObject, type: string) => t.status!.conditions!.find((c) => c.type === type);
  async function releases(name: string, count: number, rollout: Record<string, unknown> = {}) {
    for (let r = 1; r <= count; r++) {
      await applyTopology(topology(ns.name, name, web(r, rollout)));
      await waitFor(`${name} Ready at revision ${r}`, async () => {
        const t = await readTopology(ns.name, name);
        return t.status?.phase === "Ready" && t.status.revision === r && t.status.observedGeneration === r;
      });
    }
  }

  it("restores revision 1 on every node it changed, pins it through a restart and a spec change, and rolls forward on release", async () => {
    await releases("web", 3);
    const listed = await cli("history", "web", "-n", ns.name);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^\S+\/web: Ready, revision 3 \(last good 3\)\n/);
    expect(listed.stdout).toMatch(/\n1 +\S+ +spec +Succeeded +- +api=api:1,cache=cache:1,db=db:1\n/);

    // The request: from here to every node Ready on revision 1.
    const started = Date.now();
    const rolled = await cli("rollback", "web", "-n", ns.name, "--to", "1");
    const seconds = (Date.now() - started) / 1000;
    expect(rolled.stderr + rolled.stdout).toMatch(
      /rolled back to revision 1 \(from revision 3\); every node is Ready/,
    );
    expect(rolled.code).toBe(0);
    expect(await images("web")).toEqual({ db: "db:1", api: "api:1", cache: "cache:1" });
    const pinned = await readTopology(ns.name, "web");
    expect(pinned.status).toMatchObject({ phase: "RolledBack", revision: 1, lastGoodRevision: 1 });
    expect(condition(pinned, "RolledBack")).toMatchObject({ status: "True", reason: "ManualRollback" });
    expect(condition(pinned, "Pinned")).toMatchObject({ status: "True", reason: "ManualRollback" });
    const entry = (pinned.status!.history as Entry[]).at(-1)!;
    expect(entry).toMatchObject({ revision: 1, trigger: "manual", from: 3, outcome: "Succeeded" });
    expect(entry.recoverySeconds).toBeGreaterThan(0);
    expect(entry.recoverySeconds!).toBeLessThanOrEqual(seconds);
    const metrics = await op.metrics();
    expect(counter(metrics, "topo_recovery_seconds_count", 'trigger="manual"')).toBe(1);
    expect(counter(metrics, "topo_recovery_seconds_count", 'trigger="automatic"')).toBe(0);
    // The user's spec is never modified: it still asks for release 3.
    expect((pinned.spec.nodes as { image: string }[]).map((n) => n.image)).toEqual([
      "db:2",
      "api:3",
      "cache:1",
    ]);
    record("manual rollback, kubernetes", {
      requestToReadySeconds: seconds,
      operatorRecoverySeconds: entry.recoverySeconds!,
      nodesChanged: 2,
    });

    // A restarted operator holds the pin: nothing rolls forward, nothing is rolled back again.
    await op.stop();
    op = await startOperator({ namespace: ns.name });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await images("web")).toEqual({ db: "db:1", api: "api:1", cache: "cache:1" });
    const afterRestart = await readTopology(ns.name, "web");
    expect(afterRestart.status!.phase).toBe("RolledBack");
    expect(history(afterRestart)).toEqual(history(pinned));

    // A spec change while pinned is not rolled out, and status names the generation held back.
    await applyTopology(topology(ns.name, "web", web(4)));
    const held = await waitFor("the Pinned condition to name generation 4", async () => {
      const t = await readTopology(ns.name, "web");
      return (
        t.status?.observedGeneration === 4 && condition(t, "Pinned")?.message.includes("generation 4") && t
      );
    });
    expect(condition(held, "Pinned")!.message).toBe(
      "pinned to revision 1 by topo.dev/rollback-to: generation 4 of the spec is held, not rolled out, until the annotation is removed",
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(await images("web")).toEqual({ db: "db:1", api: "api:1", cache: "cache:1" });
    expect((await readTopology(ns.name, "web")).status!.revision).toBe(1);

    // Released: the spec rolls forward as a new revision.
    const released = await cli("rollback", "--release", "web", "-n", ns.name);
    expect(released.code).toBe(0);
    expect(released.stdout).toContain("topo.dev/rollback-to removed");
    await waitFor("web Ready at revision 4 after the release", async () => {
      const t = await readTopology(ns.name, "web");
      return t.status?.phase === "Ready" && t.status.revision === 4;
    });
    expect(await images("web")).toEqual({ db: "db:2", api: "api:4", cache: "cache:1" });
    const forward = await readTopology(ns.name, "web");
    expect(condition(forward, "Pinned")).toMatchObject({ status: "False", reason: "NotPinned" });
    expect(forward.metadata!.annotations?.["topo.dev/rollback-to"]).toBeUndefined();
    const reasons = await waitFor("the Released event", async () => {
      const r = (await events(ns.name, "web")).map((e) => e.reason);
      return r.includes("Released") && r;
    });
    expect(reasons.filter((r) => r === "ManualRollback")).toHaveLength(1);
    expect(reasons).toEqual(expect.arrayContaining(["ManualRollback", "Recovered", "SpecHeld", "Released"]));
  });

  it("refuses a revision no longer kept with a status message and an Event, and changes nothing", async () => {
    await releases("short", 3, { historyLimit: 2 });
    const revisions = async () =>
      (await listOwned(ns.name, "ControllerRevision", "apps/v1", "short"))
        .map((r) => r.metadata!.name)
        .sort();
    const before = { images: await images("short"), revisions: await revisions() };
    expect(before.revisions).toEqual(["short-r2"]);
    expect(history(await readTopology(ns.name, "short"))).toEqual([
      [2, "Succeeded"],
      [3, "Succeeded"],
    ]);

    // As kubectl annotate would: the annotation alone.
    await request(kube().kc, "PATCH", resourcePath("topo.dev/v1alpha1", "Topology", ns.name, "short"), {
      body: { metadata: { annotations: { "topo.dev/rollback-to": "1" } } },
      contentType: "application/merge-patch+json",
    });
    const message =
      "topo.dev/rollback-to refused: revision 1 is not kept (status.history holds revisions 2, 3); nothing was changed";
    const t = await waitFor("the refusal in status", async () => {
      const s = await readTopology(ns.name, "short");
      return (s.status as { message?: string } | undefined)?.message === message && s;
    });
    expect(condition(t, "Pinned")).toMatchObject({ status: "False", reason: "RollbackRefused", message });
    expect(t.status).toMatchObject({ phase: "Ready", revision: 3 });
    const refusedEvent = await waitFor("the RollbackRefused event", async () =>
      (await events(ns.name, "short")).find((e) => e.reason === "RollbackRefused"),
    );
    expect(refusedEvent).toMatchObject({ type: "Warning", message });
    await new Promise((r) => setTimeout(r, 2000));
    expect({ images: await images("short"), revisions: await revisions() }).toEqual(before);

    // The CLI says the same, exits 1, and takes its request back.
    await request(kube().kc, "PATCH", resourcePath("topo.dev/v1alpha1", "Topology", ns.name, "short"), {
      body: { metadata: { annotations: { "topo.dev/rollback-to": null } } },
      contentType: "application/merge-patch+json",
    });
    const cliRefused = await cli("rollback", "short", "-n", ns.name, "--to", "1");
    expect(cliRefused.code).toBe(1);
    expect(cliRefused.stderr).toContain(`topo: ${ns.name}/short: ${message}\n`);
    expect(
      (await readTopology(ns.name, "short")).metadata!.annotations?.["topo.dev/rollback-to"],
    ).toBeUndefined();
    expect({ images: await images("short"), revisions: await revisions() }).toEqual(before);
  });
});
