// The same topology on both targets: what a container sees must not depend on where it runs.
import { EXAMPLES, loadExample } from "../../../../test/unit/fixtures.ts";
import { COUNTS, SHAPES, shapeTopology } from "../../../../test/e2e/compose-config/shapes.ts";
import { durationSeconds, parseDuration } from "../../api/units.ts";
import { renderKubernetes } from "../k8s/index.ts";
import { renderCompose, secretVariableName } from "./index.ts";

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
