// Upgrading the chart from its previous release (N-1, the commit TOPO_PREVIOUS_RELEASE in
// hack/lib/versions.sh) to this tree (N): the operator's new version takes over the Topologies the old one
// made and restarts no pod it renders as N-1 did; a Deployment it renders differently (a new rendering rule)
// rolls as one new revision of its Topology, which becomes Ready, and nothing rolls back.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { parseSpec } from "../../../operator/src/api/parse.ts";
import { request } from "../../../operator/src/kube/rest.ts";
import { renderKubernetes } from "../../../operator/src/render/k8s/index.ts";
import { record } from "../support/measure.ts";
import {
  applyTopology,
  counter,
  events,
  kube,
  readTopology,
  ROOT,
  waitFor,
  waitForPhase,
  type TopologyObject,
} from "../operator/harness.ts";
import {
  CHART,
  helm,
  installRelease,
  LOCAL_IMAGE_VALUES,
  startImpersonatedOperator,
  suffix,
  uninstallRelease,
  type ImpersonatedOperator,
} from "./harness.ts";

const previousRelease = (): string =>
  execFileSync(
    "bash",
    ["-c", `source ${join(ROOT, "hack/lib/versions.sh")}; echo "$TOPO_PREVIOUS_RELEASE"`],
    {
      encoding: "utf8",
    },
  ).trim();

/** The tree of a commit, extracted beside this one, with this tree's node_modules. */
function extract(commit: string): string {
  const git = (...args: string[]) => execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8" });
  try {
    git("cat-file", "-e", `${commit}^{commit}`);
  } catch {
    git("fetch", "--quiet", "origin", commit); // a shallow clone: fetch just that commit
  }
  const dir = mkdtempSync(join(tmpdir(), "topo-previous-"));
  execFileSync("bash", ["-c", `git -C "${ROOT}" archive "${commit}" | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
}
interface Deployment {
  metadata: { name: string; generation: number };
  spec: { template: { metadata: { annotations?: Record<string, string> } } };
}

async function workloads(ns: string): Promise<{ pods: string[]; deployments: Record<string, string> }> {
  const { kc } = kube();
  const pods = await request<{ items: Pod[] }>(kc, "GET", `/api/v1/namespaces/${ns}/pods`);
  const deployments = await request<{ items: Deployment[] }>(
    kc,
    "GET",
    `/apis/apps/v1/namespaces/${ns}/deployments`,
  );
  return {
    pods: pods.items.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort(),
    deployments: Object.fromEntries(
      deployments.items.map((d) => [
        d.metadata.name,
        `generation ${d.metadata.generation}, config ${d.spec.template.metadata.annotations?.["topo.dev/config-hash"]}`,
      ]),
    ),
  };
}

describe("upgrading the chart from the previous release (N-1 -> N)", () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => undefined);
  });

  it("restarts only the workloads N renders differently, as one revision each, and no other pod", async () => {
    const previous = extract(previousRelease());
    cleanups.push(() => rmSync(previous, { recursive: true, force: true }));
    const { objects } = kube();
    const ns = `chart-n1-${suffix()}`;
    const apps = `chart-n1-apps-${suffix()}`;
    for (const name of [ns, apps]) {
      await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
      cleanups.push(() => objects.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
    }
    const release = `n1-${suffix()}`;
    const values = [...LOCAL_IMAGE_VALUES, "crds.enabled=false"];
    cleanups.push(() => uninstallRelease(release, ns));
    installRelease({ release, namespace: ns, chart: join(previous, "charts/topo-operator"), set: values });

    // N-1's operator makes the examples it shipped with.
    let op: ImpersonatedOperator | undefined = await startImpersonatedOperator({
      namespace: ns,
      release,
      watchNamespaces: apps,
      root: previous,
    });
    cleanups.push(() => op?.stop());
    const names: string[] = [];
    for (const file of ["examples/web-stack.yaml", "examples/connector-lab.yaml"]) {
      for (const doc of parseAllDocuments(readFileSync(join(previous, file), "utf8"))) {
        const t = doc.toJS() as TopologyObject;
        t.metadata!.namespace = apps;
        await applyTopology(t);
        names.push(t.metadata!.name!);
      }
    }
    for (const name of names) await waitForPhase(apps, name, "Ready", 180_000);
    const before = await workloads(apps);
    const revisions = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, (await readTopology(apps, n)).status!.revision] as const)),
    );
    expect(before.pods.length).toBeGreaterThan(names.length);
    await op.stop();

    // N: the chart of this tree, upgraded in place with the same values, and its operator.
    const upgradeStarted = Date.now();
    helm(
      ["upgrade", release, CHART, "--namespace", ns, ...values.flatMap((v) => ["--set", v])].concat([
        "--wait",
        "--timeout",
        "120s",
      ]),
    );
    op = await startImpersonatedOperator({ namespace: ns, release, watchNamespaces: apps });
    // Every Topology reconciled by N at least once, and the queue idle again.
    await waitFor(
      "N's operator to reconcile every Topology",
      async () => {
        const m = await op!.operator.metrics();
        return counter(m, "topo_reconcile_total", 'result="success"') >= names.length &&
          counter(m, "topo_workqueue_depth") === 0
          ? m
          : undefined;
      },
      120_000,
    );
    // What N renders differently from what N-1 left running (a new rendering rule, such as the spread
    // constraints of placement): only those Deployments may change, as one new revision per Topology that
    // has any; every other pod keeps running.
    const changed = new Map<string, string[]>();
    for (const name of names) {
      const t = await readTopology(apps, name);
      const parsed = parseSpec(t.spec, { name, namespace: apps, uid: t.metadata!.uid! });
      if (!parsed.ok) throw new Error(`N cannot parse ${name}: ${JSON.stringify(parsed.issues)}`);
      const rendered = renderKubernetes(parsed.topology).filter(
        (o) => o.kind === "Deployment",
      ) as unknown as (Deployment & {
        metadata: { name: string };
      })[];
      changed.set(
        name,
        rendered
          .filter(
            (d) =>
              !before.deployments[d.metadata.name]?.endsWith(
                `config ${d.spec.template.metadata.annotations?.["topo.dev/config-hash"]}`,
              ),
          )
          .map((d) => d.metadata.name),
      );
    }
    const expected = (name: string) => revisions[name]! + (changed.get(name)!.length ? 1 : 0);
    for (const name of names)
      await waitFor(
        `${name} Ready on revision ${expected(name)}`,
        async () => {
          const t = await readTopology(apps, name);
          return t.status?.phase === "Ready" && t.status.revision === expected(name) ? t : undefined;
        },
        180_000,
      );
    await new Promise((r) => setTimeout(r, 3000));
    const metrics = await op.operator.metrics();
    record("chart upgrade N-1 -> N", {
      takeOverSeconds: (Date.now() - upgradeStarted) / 1000,
      deploymentsChanged: [...changed.values()].flat().length,
    });

    const after = await workloads(apps);
    const rerendered = new Set([...changed.values()].flat());
    const podOf = (pod: string) =>
      Object.keys(before.deployments).find((d) => new RegExp(`^${d}-[a-z0-9]+-[a-z0-9]{5}/`).test(pod));
    // Every pod of a Deployment N renders as N-1 did is the very same pod (same uid).
    const kept = before.pods.filter((p) => !rerendered.has(podOf(p) ?? ""));
    expect(after.pods).toEqual(expect.arrayContaining(kept));
    for (const [d, was] of Object.entries(before.deployments))
      if (!rerendered.has(d)) expect({ d, now: after.deployments[d] }).toEqual({ d, now: was });
    expect(counter(metrics, "topo_api_writes_total", 'kind="Deployment"')).toBe(rerendered.size);
    for (const name of names) {
      const t = await readTopology(apps, name);
      expect({ name, phase: t.status!.phase, outcomes: t.status!.history!.map((h) => h.outcome) }).toEqual({
        name,
        phase: "Ready",
        outcomes: t.status!.history!.map(() => "Succeeded"),
      });
      const started = (await events(apps, name)).filter((e) => e.reason === "RolloutStarted");
      expect({ name, rollouts: started.length }).toEqual({ name, rollouts: expected(name) });
    }
  });
});
