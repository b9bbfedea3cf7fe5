// A node's files on Kubernetes: the immutable, hash-named ConfigMap, the projected volume and the mounts.
import { resolve } from "../../../../test/unit/fixtures.ts";
import { fileKeys } from "./files.ts";
import { renderKubernetes, type KubeObject } from "./index.ts";

const spec = (prometheusYml = "scrape_configs: []\n", extra: Record<string, unknown> = {}) => ({
  nodes: [
    {
      name: "prom",
      image: "prom/prometheus:v2.54.1",
      files: [
        { path: "/etc/prometheus/prometheus.yml", content: prometheusYml },
        { path: "/run/secrets/broker-token", secretRef: { name: "broker", key: "token" } },
        { path: "/etc/prometheus/rules.yml", content: "groups: []\n", mode: "0440" },
      ],
      ...extra,
    },
    { name: "api", image: "api:1" },
  ],
});
const render = (s: Record<string, unknown>) =>
  renderKubernetes(resolve(s, { name: "shop", namespace: "ns", uid: "u-1" }));
const find = (objects: KubeObject[], kind: string, node: string) =>
  objects.find((o) => o.kind === kind && o.metadata.labels["topo.dev/node"] === node);
type Pod = {
  metadata: { annotations: Record<string, string> };
  spec: {
    containers: { volumeMounts?: Record<string, unknown>[] }[];
    volumes?: { name: string; projected?: { sources: Record<string, unknown>[] } }[];
  };
};
const template = (o: KubeObject | undefined) => o!.spec.template as Pod;

describe("a node's files on Kubernetes", () => {
  it("puts the content in one immutable ConfigMap named <topology>-<node>-<hash>, owned by the Topology", () => {
    const cm = find(render(spec()), "ConfigMap", "prom") as unknown as {
      metadata: KubeObject["metadata"];
      immutable: boolean;
      data: Record<string, string>;
      spec?: unknown;
    };
    expect(cm.metadata.name).toMatch(/^shop-prom-[0-9a-f]{10}$/);
    expect(cm.immutable).toBe(true);
    expect(cm.data).toEqual({
      "etc_prometheus_prometheus.yml": "scrape_configs: []\n",
      "etc_prometheus_rules.yml": "groups: []\n",
    });
    expect(cm).not.toHaveProperty("spec");
    expect(cm.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Topology", name: "shop", uid: "u-1", controller: true }),
    ]);
    expect(find(render(spec()), "ConfigMap", "api")).toBeUndefined();
  });

  it("applies the ConfigMap before the Deployment that mounts it", () => {
    const kinds = render(spec()).map((o) => o.kind);
    expect(kinds.indexOf("ConfigMap")).toBeLessThan(kinds.indexOf("Deployment"));
  });

  it("mounts every file at its path from one projected volume, a secret as an item of the named Secret", () => {
    const objects = render(spec());
    const cm = find(objects, "ConfigMap", "prom")!.metadata.name;
    const pod = template(find(objects, "Deployment", "prom"));
    expect(pod.spec.volumes).toEqual([
      {
        name: "topo-files",
        projected: {
          sources: [
            {
              configMap: {
                name: cm,
                items: [
                  {
                    key: "etc_prometheus_prometheus.yml",
                    path: "etc_prometheus_prometheus.yml",
                    mode: 0o444,
                  },
                  { key: "etc_prometheus_rules.yml", path: "etc_prometheus_rules.yml", mode: 0o440 },
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
        },
      },
    ]);
    expect(pod.spec.containers[0]!.volumeMounts).toEqual([
      {
        name: "topo-files",
        mountPath: "/etc/prometheus/prometheus.yml",
        subPath: "etc_prometheus_prometheus.yml",
        readOnly: true,
      },
      {
        name: "topo-files",
        mountPath: "/etc/prometheus/rules.yml",
        subPath: "etc_prometheus_rules.yml",
        readOnly: true,
      },
      {
        name: "topo-files",
        mountPath: "/run/secrets/broker-token",
        subPath: "run_secrets_broker-token",
        readOnly: true,
      },
    ]);
    expect(pod.metadata.annotations["topo.dev/files"]).toBe(cm);
  });

  it("keeps a node's volumes beside its files", () => {
    const pod = template(
      find(
        render(spec(undefined, { volumes: [{ name: "data", mountPath: "/prometheus", size: "1Gi" }] })),
        "Deployment",
        "prom",
      ),
    );
    expect(pod.spec.volumes!.map((v) => v.name)).toEqual(["data", "topo-files"]);
    expect(pod.spec.containers[0]!.volumeMounts![0]).toEqual({ name: "data", mountPath: "/prometheus" });
  });

  it("changes the ConfigMap's name and the pod template of that node only when a file's content changes", () => {
    const [before, after] = [render(spec()), render(spec("scrape_configs: [{ job_name: api }]\n"))];
    expect(find(after, "ConfigMap", "prom")!.metadata.name).not.toBe(
      find(before, "ConfigMap", "prom")!.metadata.name,
    );
    const hash = (o: KubeObject[], node: string) =>
      template(find(o, "Deployment", node)).metadata.annotations["topo.dev/config-hash"];
    expect(hash(after, "prom")).not.toBe(hash(before, "prom"));
    expect(hash(after, "api")).toBe(hash(before, "api"));
    expect(render(spec())).toEqual(before);
  });

  it("rolls the node when only a mode changes, with the same ConfigMap", () => {
    const other = spec();
    (other.nodes[0] as { files: { mode?: string }[] }).files[0]!.mode = "0400";
    const [a, b] = [render(spec()), render(other)];
    expect(find(b, "ConfigMap", "prom")!.metadata.name).toBe(find(a, "ConfigMap", "prom")!.metadata.name);
    expect(template(find(b, "Deployment", "prom")).metadata.annotations["topo.dev/config-hash"]).not.toBe(
      template(find(a, "Deployment", "prom")).metadata.annotations["topo.dev/config-hash"],
    );
  });

  it("gives a task's Job the same files", () => {
    const objects = render({
      nodes: [
        {
          name: "migrate",
          image: "m:1",
          task: {},
          files: [{ path: "/app/alembic.ini", content: "[alembic]\n" }],
        },
      ],
    });
    const job = template(find(objects, "Job", "migrate"));
    expect(job.spec.containers[0]!.volumeMounts).toEqual([
      { name: "topo-files", mountPath: "/app/alembic.ini", subPath: "app_alembic.ini", readOnly: true },
    ]);
    expect(job.metadata.annotations["topo.dev/files"]).toBe(
      find(objects, "ConfigMap", "migrate")!.metadata.name,
    );
  });

  it("gives each file a distinct key, even when two paths read alike", () => {
    const keys = fileKeys([
      { path: "/a/b", content: "", mode: 0o444 },
      { path: "/a_b", content: "", mode: 0o444 },
      { path: `/${"x".repeat(300)}`, content: "", mode: 0o444 },
    ]);
    expect([...keys.values()]).toEqual(["a_b", "file-1", "file-2"]);
  });
});
