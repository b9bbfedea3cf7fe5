// `topo plan` against the real API server: a Topology the operator runs (started, Ready, then stopped so
// nothing else writes), planned as new, unchanged, with another manager's edits, an image change and a
// removed node. Every plan is followed by a check that it wrote nothing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import { topo } from "../../unit/topo.ts";
import {
  applyTopology,
  createNamespace,
  kube,
  listOwned,
  readTopology,
  startOperator,
  topology,
  waitFor,
  type OperatorProcess,
} from "./harness.ts";

const NAME = "shop";
const dir = mkdtempSync(join(tmpdir(), "topo-plan-"));

/** db <- api <- web (dependsOn), each with a port; `images` overrides a node's image; `without` drops nodes. */
function spec(opts: { images?: Record<string, string>; without?: string[] } = {}) {
  const node = (name: string, dependsOn: string[]) => ({
    name,
    image: opts.images?.[name] ?? "app:1",
    ports: [{ name: "http", port: 8080 }],
    ...(dependsOn.length ? { dependsOn } : {}),
    ...(name === "api" ? { replicas: 2 } : {}),
  });
  const nodes = [node("db", []), node("api", ["db"]), node("web", ["api"])].filter(
    (n) => !opts.without?.includes(n.name),
  );
  return { nodes };
}

function file(name: string, s: ReturnType<typeof spec>, namespace?: string): string {
  const path = join(dir, `${name}.yaml`);
  const doc = {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: NAME, ...(namespace ? { namespace } : {}) },
    spec: s,
  };
  writeFileSync(path, stringify(doc));
  return path;
}

const KINDS = [
  ["v1", "Service"],
  ["networking.k8s.io/v1", "NetworkPolicy"],
  ["apps/v1", "Deployment"],
  ["v1", "PersistentVolumeClaim"],
] as const;

/** Every object of the namespace that a plan could write, by kind/name, with its resourceVersion. */
async function versions(namespace: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [apiVersion, kind] of [...KINDS, ["topo.dev/v1alpha1", "Topology"] as const]) {
    const list = await request<{ items: KubernetesObject[] }>(
      kube().kc,
      "GET",
      resourcePath(apiVersion, kind, namespace),
    );
    for (const o of list.items) out[`${kind}/${o.metadata!.name}`] = o.metadata!.resourceVersion!;
  }
  return out;
}

interface JsonPlan {
  changed: boolean;
  plans: {
    exists: boolean;
    nodes: {
      name: string;
      verdict: string;
      objects: {
        kind: string;
        name: string;
        action: string;
        changes: { path: string; from?: unknown; to?: unknown }[];
      }[];
    }[];
    revision: { current?: number; next: number; new: boolean };
    startOrder: string[][];
  }[];
}

describe("topo plan against a cluster", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess | undefined;
  const env = () => ({ KUBECONFIG: process.env.KUBECONFIG! });
  /**
   * Runs `topo plan` and checks that nothing in the namespace changed meanwhile, once the controllers have
   * finished with the last edit (its resourceVersions held still for three reads in a row).
   */
  const plan = async (...args: string[]) => {
    let seen: string[] = [];
    const before = await waitFor(
      "the namespace to be quiet",
      async () => {
        const now = await versions(ns.name);
        seen = [...seen, JSON.stringify(now)].slice(-3);
        return seen.length === 3 && new Set(seen).size === 1 ? now : undefined;
      },
      60_000,
      500,
    );
    const run = await topo(["plan", ...args, "-n", ns.name], "", { env: env() });
    expect(await versions(ns.name)).toEqual(before);
    return run;
  };
  const json = async (path: string) => {
    const run = await plan(path, "-o", "json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return (JSON.parse(run.stdout) as JsonPlan).plans[0]!;
  };
  const verdicts = (p: JsonPlan["plans"][number]) =>
    Object.fromEntries(p.nodes.map((n) => [n.name, n.verdict]));

  beforeAll(async () => {
    ns = await createNamespace("topo-plan");
  });
  afterAll(async () => {
    await op?.stop();
    await ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("plans a Topology that does not exist yet as all-create, in dependency order, and creates nothing", async () => {
    const run = await plan(file("new", spec()), "--exit-code");
    expect(run.code).toBe(3);
    expect(run.stdout).toContain("not there yet, everything is created");
    expect(run.stdout).toMatch(/^ {2}db +create$/m);
    expect(run.stdout).toContain(`+ Deployment ${NAME}-api created`);
    expect(run.stdout).toContain("Revision: 1 (new, the first)");
    expect(run.stdout).toContain("Start order: db → api → web");
    const p = await json(join(dir, "new.yaml"));
    expect(p.exists).toBe(false);
    expect(verdicts(p)).toEqual({ db: "create", api: "create", web: "create" });
    expect(p.revision).toEqual({ next: 1, new: true });
    expect(await listOwned(ns.name, "Deployment", "apps/v1", NAME)).toEqual([]);
  });

  it("says no new revision and exits 0 for the file the operator runs, even with --exit-code", async () => {
    await applyTopology(topology(ns.name, NAME, spec()));
    op = await startOperator({ namespace: ns.name });
    await waitFor(
      "revision 1 Ready",
      async () => {
        const t = await readTopology(ns.name, NAME);
        return t.status?.phase === "Ready" && t.status.revision === 1;
      },
      90_000,
    );
    // From here on only the plans read: the operator would revert the hand edits below at once.
    await op.stop();
    op = undefined;
    const path = file("same", spec());
    const run = await plan(path, "--exit-code");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Revision: no new revision (stays at 1)");
    expect(run.stdout).toContain("Summary: no changes");
    const p = await json(path);
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
    expect(p.revision).toEqual({ current: 1, next: 1, new: false });
  });

  it("shows no change for what other managers set: kubectl's annotations, a rollout restart's template annotation", async () => {
    const { kc } = kube();
    const patch = (kind: string, apiVersion: string, name: string, body: unknown, manager: string) =>
      request(kc, "PATCH", resourcePath(apiVersion, kind, ns.name, name), {
        query: { fieldManager: manager },
        body,
        contentType: "application/merge-patch+json",
      });
    await patch(
      "Deployment",
      "apps/v1",
      `${NAME}-api`,
      { metadata: { annotations: { owner: "team-a" } } },
      "kubectl-annotate",
    );
    await patch("Service", "v1", `${NAME}-db`, { metadata: { labels: { tier: "data" } } }, "kubectl-label");
    await patch(
      "Deployment",
      "apps/v1",
      `${NAME}-web`,
      {
        spec: {
          template: {
            metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z" } },
          },
        },
      },
      "kubectl-rollout",
    );
    const p = await json(file("same", spec()));
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
    expect(p.revision.new).toBe(false);
  });

  it("shows a replica count scaled by another manager as what the operator reverts: an update, not a restart", async () => {
    await request(
      kube().kc,
      "PATCH",
      `${resourcePath("apps/v1", "Deployment", ns.name, `${NAME}-api`)}/scale`,
      {
        query: { fieldManager: "hpa-like" },
        body: { spec: { replicas: 5 } },
        contentType: "application/merge-patch+json",
      },
    );
    const p = await json(file("same", spec()));
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "update", web: "unchanged" });
    const api = p.nodes.find((n) => n.name === "api")!;
    expect(api.objects.filter((o) => o.action !== "unchanged")).toEqual([
      {
        kind: "Deployment",
        name: `${NAME}-api`,
        action: "change",
        changes: [{ path: "spec.replicas", from: 5, to: 2 }],
      },
    ]);
    expect(p.revision.new).toBe(false);
  });

  it("restarts only the node whose image changes, not its dependents, as a new revision", async () => {
    const path = file("image", spec({ images: { api: "app:2" } }));
    const run = await plan(path);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}api +restart$/m);
    expect(run.stdout).toContain("spec.template.spec.containers[name=api].image: app:1 → app:2");
    expect(run.stdout).toContain("Revision: 2 (new; 1 runs now)");
    expect(run.stdout).toContain("Start order: api\n");
    const p = await json(path);
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "restart", web: "unchanged" });
    const changes = p.nodes
      .find((n) => n.name === "api")!
      .objects.flatMap((o) => o.changes.map((c) => c.path));
    expect(changes).toEqual(
      expect.arrayContaining([
        'spec.template.metadata.annotations["topo.dev/config-hash"]',
        "spec.template.spec.containers[name=api].image",
      ]),
    );
    expect(p.startOrder).toEqual([["api"]]);
    expect(p.revision).toEqual({ current: 1, next: 2, new: true });
    expect((await topo(["plan", path, "-n", ns.name, "--exit-code"], "", { env: env() })).code).toBe(3);
  });

  it("lists a removed node's Deployment, Service and NetworkPolicy as deleted", async () => {
    const path = file("removed", spec({ without: ["web"] }));
    const run = await plan(path);
    expect(run.stdout).toMatch(/^ {2}web +delete$/m);
    for (const kind of ["Deployment", "Service", "NetworkPolicy"])
      expect(run.stdout).toContain(`- ${kind} ${NAME}-web deleted`);
    const p = await json(path);
    expect(p.nodes.find((n) => n.name === "web")).toEqual({
      name: "web",
      verdict: "delete",
      objects: expect.arrayContaining([
        { kind: "Deployment", name: `${NAME}-web`, action: "delete", changes: [] },
        { kind: "Service", name: `${NAME}-web`, action: "delete", changes: [] },
        { kind: "NetworkPolicy", name: `${NAME}-web`, action: "delete", changes: [] },
      ]),
    });
    expect(verdicts(p).db).toBe("unchanged");
    expect(p.revision.new).toBe(true);
  });

  it("says when the operator applies a pinned revision rather than the file", async () => {
    await request(kube().kc, "PATCH", resourcePath("topo.dev/v1alpha1", "Topology", ns.name, NAME), {
      body: { metadata: { annotations: { "topo.dev/rollback-to": "1" } } },
      contentType: "application/merge-patch+json",
    });
    const run = await plan(file("image", spec({ images: { api: "app:2" } })));
    expect(run.stdout).toContain(
      `Note: topo.dev/rollback-to: "1" pins the Topology: the operator applies that revision, not this file, until \`topo rollback --release ${NAME}\``,
    );
  });

  it("fails on an invalid file exactly as topo validate does", async () => {
    const path = join(dir, "bad.yaml");
    writeFileSync(
      path,
      stringify({
        apiVersion: "topo.dev/v1alpha1",
        kind: "Topology",
        metadata: { name: NAME },
        spec: { nodes: [{ name: "x", imagee: "a" }] },
      }),
    );
    const validate = await topo(["validate", path]);
    const run = await plan(path);
    expect(run.code).toBe(1);
    expect(validate.code).toBe(1);
    expect(run.stderr).toBe(validate.stderr);
    expect(run.stdout).toBe("");
  });
});
