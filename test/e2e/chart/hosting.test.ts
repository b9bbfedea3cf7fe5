// The chart's hosting objects against the real API server: the Deployment with the OIDC and history
// environment and its volume, the Ingress with TLS and the SQLite PersistentVolumeClaim, as `helm template`
// renders them, accepted by a server-side dry-run (schema, defaulting, validation; nothing is stored). The
// HTTPRoute is left out: the control plane has no Gateway API CRDs (test/unit/chart/hosting.test.ts
// renders it).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { stringify } from "yaml";
import { createNamespace, ROOT } from "../operator/harness.ts";
import { render } from "./harness.ts";

const KINDS = ["Deployment", "Service", "Ingress", "PersistentVolumeClaim"];

describe("the chart's hosting objects on the local control plane", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  beforeAll(async () => {
    ns = await createNamespace("chart-hosting");
  });
  afterAll(async () => ns?.remove());

  it("are accepted by the API server: sign-in and history env, Ingress with TLS, the SQLite claim and its mount", () => {
    const ms = render(
      [
        "dashboard.enabled=true",
        "dashboard.oidc.enabled=true",
        "dashboard.oidc.issuerUrl=https://dex.example.com",
        "dashboard.oidc.clientId=topo",
        "dashboard.oidc.existingSecret=topo-oidc",
        "dashboard.oidc.allowedUsers={alice@example.com}",
        "dashboard.ingress.enabled=true",
        "dashboard.ingress.className=nginx",
        "dashboard.ingress.host=topo.example.com",
        "dashboard.ingress.tls.enabled=true",
        "dashboard.ingress.tls.clusterIssuer=letsencrypt",
        "history.persistence.enabled=true",
        "history.persistence.storageClassName=standard",
      ],
      ["--namespace", ns.name],
    ).filter((m) => KINDS.includes(m.kind));
    expect(ms.map((m) => m.kind).sort()).toEqual([...KINDS, "Service"].sort());
    const out = execFileSync(
      join(ROOT, "hack/kubectl.sh"),
      [
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=topo-test",
        "-n",
        ns.name,
        "-o",
        "name",
        "-f",
        "-",
      ],
      { cwd: ROOT, encoding: "utf8", input: ms.map((m) => stringify(m)).join("---\n") },
    );
    expect(out.trim().split("\n").sort()).toEqual(
      [
        "deployment.apps/topo-topo-operator",
        "ingress.networking.k8s.io/topo-topo-operator-dashboard",
        "persistentvolumeclaim/topo-topo-operator-history",
        "service/topo-topo-operator-dashboard",
        "service/topo-topo-operator-metrics",
      ].sort(),
    );
  });
});
