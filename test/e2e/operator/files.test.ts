// A node's files against a real API server with kwok nodes: an immutable, hash-named ConfigMap mounted at
// each path, a secret file as a projected Secret item, a content change that rolls that node only, an
// automatic and a manual rollback that put the previous ConfigMap back on the Deployment, and the old
// ConfigMaps kept while their revisions are, pruned once they leave the history.
import type { KubernetesObject } from "@kubernetes/client-node";
import { topo } from "../../unit/topo.ts";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
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

type ConfigMap = KubernetesObject & { immutable?: boolean; data?: Record<string, string> };
type Deployment = KubernetesObject & {
  metadata: { generation?: number };
  spec: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: {
        containers: { volumeMounts?: Record<string, unknown>[] }[];
        volumes?: {
          name: string;
          projected?: { sources: Record<string, { name: string; items: unknown[] }>[] };
        }[];
      };
    };
  };
};
// A pod that asks for more CPU than any node has is never scheduled, so it is never Ready.
const UNSCHEDULABLE = { cpu: "1000", memory: "64Mi" };

const shop = (scrape: string, opts: { broken?: boolean; historyLimit?: number } = {}) => ({
  nodes: [
    {
      name: "prom",
      image: "prom/prometheus:v2.54.1",
      ports: [{ name: "web", port: 9090 }],
      files: [
        { path: "/etc/prometheus/prometheus.yml", content: `scrape_configs: [${scrape}]\n` },
        { path: "/run/secrets/broker-token", secretRef: { name: "broker", key: "token" } },
      ],
      ...(opts.broken ? { resources: UNSCHEDULABLE } : {}),
    },
    { name: "api", image: "api:1", ports: [{ name: "http", port: 8080 }] },
  ],
  rollout: { progressDeadlineSeconds: 40, historyLimit: opts.historyLimit ?? 5 },
});

describe("files on Kubernetes", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  const cli = (...args: string[]) => topo(args, "", { env: { KUBECONFIG: process.env.KUBECONFIG! } });
  beforeAll(async () => {
    ns = await createNamespace("topo-files");
    op = await startOperator({ namespace: ns.name });
  });
  afterAll(async () => {
    await op?.stop();
    await ns?.remove();
  });

  const configMaps = async (name: string) =>
    ((await listOwned(ns.name, "ConfigMap", "v1", name)) as ConfigMap[]).map((c) => c.metadata!.name!).sort();
  const deployment = async (name: string, node: string) =>
    ((await listOwned(ns.name, "Deployment", "apps/v1", name)) as Deployment[]).find(
      (d) => d.metadata!.name === `${name}-${node}`,
    )!;
  const mounted = async (name: string) =>
    (await deployment(name, "prom")).spec.template.metadata.annotations["topo.dev/files"];
  const ready = (name: string, revision: number) =>
    waitFor(`${name} Ready at revision ${revision}`, async () => {
      const t = await readTopology(ns.name, name);
      return t.status?.phase === "Ready" && t.status.revision === revision && t;
    }).catch(async (err: Error) => {
      const t = await readTopology(ns.name, name);
      throw new Error(`${err.message}; status ${JSON.stringify(t.status)}\n${op.logs().slice(-3000)}`);
    });

  it("mounts an immutable ConfigMap and a Secret item, rolls only the changed node, and rolls back with the old files", async () => {
    await applyTopology(topology(ns.name, "shop", shop("a")));
    await ready("shop", 1);
    const [first] = await configMaps("shop");
    expect(await configMaps("shop")).toEqual([expect.stringMatching(/^shop-prom-[0-9a-f]{10}$/)]);
    const cm = await request<ConfigMap>(kube().kc, "GET", resourcePath("v1", "ConfigMap", ns.name, first));
    expect(cm).toMatchObject({
      immutable: true,
      data: { "etc_prometheus_prometheus.yml": "scrape_configs: [a]\n" },
      metadata: {
        ownerReferences: [expect.objectContaining({ kind: "Topology", name: "shop", controller: true })],
      },
    });
    // Immutable: the API server refuses to change it.
    const edit = await request(kube().kc, "PATCH", resourcePath("v1", "ConfigMap", ns.name, first), {
      body: { data: { "etc_prometheus_prometheus.yml": "edited" } },
      contentType: "application/merge-patch+json",
    }).catch((err: Error) => err);
    expect(String(edit)).toMatch(/immutable|Forbidden|Invalid/i);

    // Read back through the pod spec: mounted file by file, the secret from the named Secret.
    const prom = await deployment("shop", "prom");
    expect(prom.spec.template.spec.volumes).toEqual([
      {
        name: "topo-files",
        projected: {
          sources: [
            {
              configMap: {
                name: first,
                items: [
                  {
                    key: "etc_prometheus_prometheus.yml",
                    path: "etc_prometheus_prometheus.yml",
                    mode: 0o444,
                  },
                ],
              },
            },
            {
              secret: {
                name: "broker",
                items: [{ key: "token", path: "run_secrets_broker-token", mode: 0o400 }],
              },
            },
          ],
          defaultMode: expect.any(Number),
        },
      },
    ]);
    expect(prom.spec.template.spec.containers[0]!.volumeMounts).toEqual([
      expect.objectContaining({
        mountPath: "/etc/prometheus/prometheus.yml",
        subPath: "etc_prometheus_prometheus.yml",
        readOnly: true,
      }),
      expect.objectContaining({
        mountPath: "/run/secrets/broker-token",
        subPath: "run_secrets_broker-token",
        readOnly: true,
      }),
    ]);

    // A content change is a new revision of prom only: api's Deployment is not written.
    const apiBefore = await deployment("shop", "api");
    await applyTopology(topology(ns.name, "shop", shop("b")));
    await ready("shop", 2);
    const second = await mounted("shop");
    expect(second).not.toBe(first);
    expect(await configMaps("shop")).toEqual([first, second].sort());
    const apiAfter = await deployment("shop", "api");
    expect(apiAfter.metadata!.resourceVersion).toBe(apiBefore.metadata!.resourceVersion);

    // A revision that fails with new files is rolled back to the previous ConfigMap; its own stays too.
    await applyTopology(topology(ns.name, "shop", shop("c", { broken: true })));
    await waitFor(
      "revision 3 rolled back",
      async () => (await readTopology(ns.name, "shop")).status?.phase === "RolledBack",
    );
    expect(await mounted("shop")).toBe(second);
    const history = (await readTopology(ns.name, "shop")).status!.history!;
    const third = (history.find((h) => h.revision === 3) as { files?: Record<string, string> }).files!.prom!;
    expect(await configMaps("shop")).toEqual([first, second, third].sort());

    // By hand, to revision 1: its ConfigMap is back on the Deployment.
    // (topo rollback waits for the operator; on a loaded machine it may give up first: wait here too.)
    const rolled = await cli("rollback", "shop", "-n", ns.name, "--to", "1");
    expect(rolled.stdout + rolled.stderr).toContain('topo.dev/rollback-to: "1" set');
    await waitFor("prom back on revision 1's files", async () => (await mounted("shop")) === first, 90_000);
    await waitFor(
      "pinned at revision 1",
      async () => {
        const t = await readTopology(ns.name, "shop");
        return (
          t.status?.phase === "RolledBack" &&
          t.status.revision === 1 &&
          t.status.conditions?.some((c) => c.type === "Pinned" && c.status === "True")
        );
      },
      90_000,
    );
    expect(await configMaps("shop")).toEqual([first, second, third].sort());
  });

  it("prunes a ConfigMap once its revision leaves the history and no pod mounts it", async () => {
    await applyTopology(topology(ns.name, "lean", shop("a", { historyLimit: 1 })));
    await ready("lean", 1);
    const [first] = await configMaps("lean");
    await applyTopology(topology(ns.name, "lean", shop("b", { historyLimit: 1 })));
    await ready("lean", 2);
    const second = await mounted("lean");
    await waitFor("revision 1's ConfigMap pruned", async () => (await configMaps("lean")).join() === second);
    expect(second).not.toBe(first);
    const t = await readTopology(ns.name, "lean");
    expect(t.status!.history!.map((h) => h.revision)).toEqual([2]);
  });
});
