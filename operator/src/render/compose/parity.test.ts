// The same topology on both targets: what a container sees must not depend on where it runs.
import { EXAMPLES, loadExample } from "../../../../test/unit/fixtures.ts";
import { COUNTS, SHAPES, shapeTopology } from "../../../../test/e2e/compose-config/shapes.ts";
import { durationSeconds, parseDuration } from "../../api/units.ts";
import { renderKubernetes } from "../k8s/index.ts";
import type { Topology } from "../../api/topology.ts";
import { resolve } from "../../../../test/unit/fixtures.ts";
import { filesToWrite, renderCompose, secretVariableName, type ComposeVersion } from "./index.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- both documents are read as plain data
type Any = Record<string, any>;
const unescape = (s: string) => s.replace(/\$\$/g, "$");
const seconds = (text: string) => durationSeconds(parseDuration(text)!, 1);

/** A Kubernetes probe as the check it performs, the way compose should perform it too. */
function k8sCheck(probe: Any | undefined, ports: Any[]): Any | undefined {
  if (!probe) return undefined;
  const port = (p: string | number) => String(typeof p === "number" ? p : ports.find((x) => x.name === p)!.containerPort);
  const check = probe.httpGet
    ? { http: `127.0.0.1:${port(probe.httpGet.port)}${probe.httpGet.path}` }
    : probe.tcpSocket
      ? { tcp: `127.0.0.1:${port(probe.tcpSocket.port)}` }
      : { exec: probe.exec.command };
  return { ...check, every: probe.periodSeconds, timeout: probe.timeoutSeconds, retries: probe.failureThreshold };
}

function composeCheck(hc: Any | undefined): Any | undefined {
  if (!hc) return undefined;
  const test = (hc.test as string[]).map(unescape);
  const check =
    test[1] === "wget"
      ? { http: test.at(-1)!.replace(/^http:\/\//, "") }
      : test[0] === "CMD-SHELL" && test[1]!.startsWith("nc -z ")
        ? { tcp: test[1]!.split(" ").slice(2, 4).join(":") }
        : { exec: test.slice(1) };
  return { ...check, every: seconds(hc.interval), timeout: seconds(hc.timeout), retries: hc.retries };
}

const cases = [
  ...EXAMPLES.map((name) => [name, () => loadExample(name)] as const),
  ...SHAPES.flatMap((s) => COUNTS.filter((c) => c > 2).map((c) => [`${s}-${c}`, () => shapeTopology(s, c)] as const)),
];

describe("parity between renderKubernetes and renderCompose", () => {
  it.each(cases)("%s: every node has the same image, command, args, env, ports and health", (_, load) => {
    const topology = load();
    const compose = renderCompose(topology);
    // A task's Job carries the same container as its Deployment would.
    const deployments = renderKubernetes(topology).filter((o) => o.kind === "Deployment" || o.kind === "Job") as Any[];
    expect(deployments).toHaveLength(topology.nodes.length);
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0];
      const s = compose.services[d.metadata.labels["topo.dev/node"]] as Any;
      expect(unescape(s.image)).toBe(c.image);
      expect(s.entrypoint?.map(unescape)).toEqual(c.command);
      expect(s.command?.map(unescape)).toEqual(c.args);
      expect(s.deploy.replicas).toBe(d.spec.replicas ?? 1);

      const k8sEnv = (c.env as Any[]).map((e) =>
        e.valueFrom ? [e.name, `\${${secretVariableName(e.valueFrom.secretKeyRef)}}`] : [e.name, e.value],
      );
      const composeEnv = Object.entries(s.environment as Record<string, string>).map(([k, v]) => [
        k,
        v.startsWith("${TOPO_SECRET_") ? v : unescape(v),
      ]);
      expect(composeEnv).toEqual(k8sEnv);

      const k8sPorts = ((c.ports ?? []) as Any[]).map((p) => `${p.containerPort}/${p.protocol.toLowerCase()}`);
      const composePorts = [
        ...((s.ports ?? []) as Any[]).map((p) => `${p.target}/${p.protocol}`),
        ...((s.expose ?? []) as string[]).map((e) => (e.includes("/") ? e : `${e}/tcp`)),
      ];
      expect(composePorts.sort()).toEqual(k8sPorts.sort());

      expect(composeCheck(s.healthcheck)).toEqual(k8sCheck(c.readinessProbe, c.ports ?? []));
    }
  });
});

/** Every file a node's container sees on Kubernetes: path, what it holds (content or secret/key), mode. */
function k8sFiles(topology: Topology): Record<string, Any[]> {
  const objects = renderKubernetes(topology) as Any[];
  const configMaps = new Map(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data]));
  const out: Record<string, Any[]> = {};
  for (const w of objects.filter((o) => o.kind === "Deployment" || o.kind === "Job")) {
    const pod = w.spec.template.spec;
    const sources = (pod.volumes ?? []).find((v: Any) => v.name === "topo-files")?.projected.sources ?? [];
    const item = (path: string) => {
      for (const src of sources) {
        const ref = src.configMap ?? src.secret;
        const found = ref.items.find((i: Any) => i.path === path);
        if (found)
          return src.configMap
            ? { content: configMaps.get(ref.name)[found.key], mode: found.mode }
            : { secret: `${ref.name}/${found.key}`, mode: found.mode };
      }
      throw new Error(`no item ${path}`);
    };
    out[w.metadata.labels["topo.dev/node"]] = (pod.containers[0].volumeMounts ?? [])
      .filter((m: Any) => m.name === "topo-files")
      .map((m: Any) => ({ path: m.mountPath, ...item(m.subPath) }))
      .sort((a: Any, b: Any) => (a.path < b.path ? -1 : 1));
  }
  return out;
}

/** The same from the compose file: each config, bind or secret, and the file topo up writes for it. */
function composeFiles(topology: Topology, version: ComposeVersion): Record<string, Any[]> {
  const doc = renderCompose(topology, { compose: version }) as Any;
  const written = new Map(filesToWrite(topology).map((f) => [f.file, f]));
  const file = (path: string, dir: string) => {
    const f = written.get(unescape(path).slice(dir.length + 1))!;
    return f.secretRef ? { secret: `${f.secretRef.name}/${f.secretRef.key}`, mode: f.mode } : { content: f.content, mode: f.mode };
  };
  const out: Record<string, Any[]> = {};
  for (const [name, s] of Object.entries(doc.services as Record<string, Any>)) {
    const mounts = [
      ...(s.configs ?? []).map((c: Any) => ({ path: unescape(c.target), ...file(doc.configs[c.source].file, "./files") })),
      ...(s.volumes ?? [])
        .filter((v: Any) => v.type === "bind")
        .map((v: Any) => {
          expect(v.read_only).toBe(true);
          return { path: unescape(v.target), ...file(v.source, "./files") };
        }),
      ...(s.secrets ?? []).map((c: Any) => ({ path: unescape(c.target), ...file(doc.secrets[c.source].file, "./secrets") })),
    ];
    out[name] = mounts.sort((a: Any, b: Any) => (a.path < b.path ? -1 : 1));
  }
  return out;
}

const withFiles = () =>
  resolve(
    {
      defaults: { files: [{ path: "/etc/ssl/ca.pem", secretRef: { name: "ca", key: "pem" }, mode: "0444" }] },
      nodes: [
        {
          name: "prom",
          image: "prom/prometheus:v2.54.1",
          files: [
            { path: "/etc/prometheus/prometheus.yml", content: "scrape_configs:\n  - job_name: api\n" },
            { path: "/etc/prometheus/$weird name.yml", content: "cost: $5\n", mode: "0640" },
            { path: "/run/secrets/broker-token", secretRef: { name: "broker", key: "token" } },
          ],
        },
        { name: "migrate", image: "m:1", task: {}, files: [{ path: "/app/alembic.ini", content: "[alembic]\n" }] },
        { name: "plain", image: "p:1" },
      ],
    },
    { name: "shop" },
  );

describe("parity of files between renderKubernetes and renderCompose", () => {
  it.each([...cases, ["files", withFiles] as const].flatMap(([name, load]) =>
    (["v2", "v1"] as const).map((v) => [name, v, load] as const),
  ))("%s with compose %s: every node sees the same files at the same paths, with the same contents and modes", (_, version, load) => {
    const topology = load();
    const k8s = k8sFiles(topology);
    const compose = composeFiles(topology, version);
    expect(compose).toEqual(k8s);
    for (const node of topology.nodes)
      expect((k8s[node.name] ?? []).map((f) => f.path)).toEqual(node.files.map((f) => f.path));
  });

  it("covers files in its own case: contents, secrets and modes", () => {
    const k8s = k8sFiles(withFiles());
    expect(k8s.prom!.map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ["/etc/prometheus/$weird name.yml", "640"],
      ["/etc/prometheus/prometheus.yml", "444"],
      ["/etc/ssl/ca.pem", "444"],
      ["/run/secrets/broker-token", "400"],
    ]);
    expect(k8s.plain!.map((f) => f.secret)).toEqual(["ca/pem"]);
  });
});
