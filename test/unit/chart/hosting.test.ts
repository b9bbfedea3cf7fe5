// The chart's hosting values as `helm template` renders them: the dashboard's OIDC sign-in (secrets through
// secretKeyRef), the history store's URL from a Secret or SQLite on a PVC, an Ingress, an HTTPRoute, the
// values that cannot work together refused, and a NOTES.txt line for each.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { loadConfig } from "../../../operator/src/config.ts";
import { CHART, helm, render, type Manifest } from "./helm.ts";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Pod {
  containers: { env: EnvVar[]; volumeMounts: { name: string; mountPath: string }[] }[];
  volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

const of = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const pod = (ms: Manifest[]) =>
  (of(ms, "Deployment")[0] as Manifest & { spec: { template: { spec: Pod } } }).spec.template.spec;
const env = (ms: Manifest[]) => Object.fromEntries(pod(ms).containers[0]!.env.map((e) => [e.name, e]));
const value = (ms: Manifest[], name: string) => env(ms)[name]?.value;
/** The container's environment as the kubelet would give it, each Secret key read as `<secret>/<key>`. */
const resolved = (ms: Manifest[], secrets: Record<string, string>) =>
  Object.fromEntries(
    pod(ms)
      .containers[0]!.env.filter((e) => e.value !== undefined || e.valueFrom?.secretKeyRef)
      .map((e) => {
        const ref = e.valueFrom?.secretKeyRef;
        return [e.name, ref ? secrets[`${ref.name}/${ref.key}`]! : e.value!];
      }),
  );
const secretRef = (ms: Manifest[], name: string) => env(ms)[name]?.valueFrom?.secretKeyRef;

const DASHBOARD = ["dashboard.enabled=true"];
const OIDC = [
  ...DASHBOARD,
  "dashboard.oidc.enabled=true",
  "dashboard.oidc.issuerUrl=https://dex.example.com",
  "dashboard.oidc.clientId=topo",
  "dashboard.oidc.existingSecret=topo-oidc",
  "dashboard.oidc.allowedGroups={ops,sre}",
  "dashboard.oidc.redirectUrl=https://topo.example.com/auth/callback",
];
const INGRESS = [...DASHBOARD, "dashboard.ingress.enabled=true", "dashboard.ingress.host=topo.example.com"];
const ROUTE = [
  ...DASHBOARD,
  "dashboard.httpRoute.enabled=true",
  "dashboard.httpRoute.parentRefs[0].name=public",
  "dashboard.httpRoute.parentRefs[0].namespace=gateways",
  "dashboard.httpRoute.parentRefs[0].sectionName=https",
  "dashboard.httpRoute.hostnames={topo.example.com}",
];

/**
 * NOTES.txt as `helm install` prints it. `helm template` leaves NOTES.txt out, so a copy of the chart gets
 * one more template that includes it (Helm registers NOTES.txt as a template) in a ConfigMap.
 */
function notes(set: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "topo-chart-"));
  try {
    cpSync(CHART, join(dir, "chart"), { recursive: true });
    writeFileSync(
      join(dir, "chart/templates/notes-test.yaml"),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: {{ include "topo-operator/templates/NOTES.txt" . | quote }}\n',
    );
    const args = ["template", "topo", join(dir, "chart"), "-n", "topo-system"];
    args.push("--show-only", "templates/notes-test.yaml", ...set.flatMap((s) => ["--set", s]));
    return (parse(helm(args)) as { data: { notes: string } }).data.notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the chart's hosting values, rendered", () => {
  it("adds no sign-in, history, Ingress, HTTPRoute or claim unless asked", () => {
    const ms = render(DASHBOARD);
    expect(Object.keys(env(ms)).filter((k) => /OIDC|HISTORY/.test(k))).toEqual([]);
    expect(of(ms, "Ingress")).toHaveLength(0);
    expect(of(ms, "HTTPRoute")).toHaveLength(0);
    expect(of(ms, "PersistentVolumeClaim")).toHaveLength(0);
    expect(pod(ms).volumes.map((v) => v.name)).toEqual(["tmp"]);
    expect(notes(DASHBOARD)).not.toMatch(/Ingress|HTTPRoute|Sign-in|History/);
  });

  it("passes the OIDC settings as TOPO_DASHBOARD_OIDC_*, both secrets through secretKeyRef from existingSecret", () => {
    const ms = render([...OIDC, "dashboard.oidc.sessionTtlSeconds=3600", "dashboard.oidc.allowedUsers={*}"]);
    expect(value(ms, "TOPO_DASHBOARD_OIDC_ISSUER_URL")).toBe("https://dex.example.com");
    expect(value(ms, "TOPO_DASHBOARD_OIDC_CLIENT_ID")).toBe("topo");
    expect(value(ms, "TOPO_DASHBOARD_OIDC_REDIRECT_URL")).toBe("https://topo.example.com/auth/callback");
    expect(value(ms, "TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS")).toBe("ops,sre");
    expect(value(ms, "TOPO_DASHBOARD_OIDC_ALLOWED_USERS")).toBe("*");
    expect(value(ms, "TOPO_DASHBOARD_OIDC_SCOPES")).toBe("openid profile email");
    expect(value(ms, "TOPO_DASHBOARD_OIDC_GROUPS_CLAIM")).toBe("groups");
    expect(value(ms, "TOPO_DASHBOARD_OIDC_SESSION_TTL_SECONDS")).toBe("3600");
    expect(secretRef(ms, "TOPO_DASHBOARD_OIDC_CLIENT_SECRET")).toEqual({
      name: "topo-oidc",
      key: "client-secret",
    });
    expect(secretRef(ms, "TOPO_DASHBOARD_OIDC_SESSION_SECRET")).toEqual({
      name: "topo-oidc",
      key: "session-secret",
    });
    // No Secret is read by the operator: still no secrets in any role.
    const roles = ms.filter((m) => m.kind === "Role" || m.kind === "ClusterRole");
    expect(JSON.stringify(roles)).not.toContain("secrets");
    // A public client: no client secret at all.
    const pub = render([...OIDC, "dashboard.oidc.clientSecretKey="]);
    expect(env(pub).TOPO_DASHBOARD_OIDC_CLIENT_SECRET).toBeUndefined();
    expect(secretRef(pub, "TOPO_DASHBOARD_OIDC_SESSION_SECRET")?.name).toBe("topo-oidc");
  });

  it("sets an environment the operator's own config reader accepts, as it would start in the pod", () => {
    const ms = render([...OIDC, "history.persistence.enabled=true", "history.retention=30d"]);
    const config = loadConfig(
      resolved(ms, {
        "topo-oidc/client-secret": "from-the-provider",
        "topo-oidc/session-secret": "s".repeat(64),
      }),
    );
    expect(config.dashboardOidc).toMatchObject({
      clientId: "topo",
      clientSecret: "from-the-provider",
      allowedGroups: ["ops", "sre"],
      allowedUsers: [],
      sessionTtlSeconds: 28_800,
    });
    expect(config.dashboardOidc!.redirectUrl.href).toBe("https://topo.example.com/auth/callback");
    expect(config.TOPO_HISTORY_URL).toBe("sqlite:/var/lib/topo/history.db");
  });

  it("derives the redirect URL from the Ingress host (https with TLS) or the first HTTPRoute hostname", () => {
    const without = OIDC.filter((s) => !s.startsWith("dashboard.oidc.redirectUrl"));
    expect(value(render([...without, ...INGRESS]), "TOPO_DASHBOARD_OIDC_REDIRECT_URL")).toBe(
      "http://topo.example.com/auth/callback",
    );
    expect(
      value(
        render([...without, ...INGRESS, "dashboard.ingress.tls.enabled=true"]),
        "TOPO_DASHBOARD_OIDC_REDIRECT_URL",
      ),
    ).toBe("https://topo.example.com/auth/callback");
    expect(value(render([...without, ...ROUTE]), "TOPO_DASHBOARD_OIDC_REDIRECT_URL")).toBe(
      "https://topo.example.com/auth/callback",
    );
    expect(() => render(without)).toThrow(/dashboard.oidc.redirectUrl is required/);
  });

  it("refuses sign-in settings the operator would refuse at start, naming the value", () => {
    const drop = (key: string) => OIDC.filter((s) => !s.startsWith(`${key}=`));
    expect(() => render(drop("dashboard.oidc.issuerUrl"))).toThrow(/dashboard.oidc.issuerUrl is required/);
    expect(() => render(drop("dashboard.oidc.clientId"))).toThrow(/dashboard.oidc.clientId is required/);
    expect(() => render(drop("dashboard.oidc.existingSecret"))).toThrow(
      /dashboard.oidc.existingSecret .* is required/,
    );
    expect(() => render(drop("dashboard.oidc.allowedGroups"))).toThrow(
      /allowedUsers or dashboard.oidc.allowedGroups/,
    );
    expect(() => render(OIDC.filter((s) => s !== "dashboard.enabled=true"))).toThrow(
      /dashboard.oidc.enabled needs dashboard.enabled/,
    );
    expect(() => render([...OIDC, "dashboard.oidc.sessionTtlSeconds=10"])).toThrow(/sessionTtlSeconds/);
  });

  it("reads history.url from a Secret into TOPO_HISTORY_URL, with the retention", () => {
    const ms = render(["history.url.existingSecret=topo-history", "history.retention=30d\\,50000"]);
    expect(secretRef(ms, "TOPO_HISTORY_URL")).toEqual({ name: "topo-history", key: "url" });
    expect(value(ms, "TOPO_HISTORY_RETENTION")).toBe("30d,50000");
    expect(of(ms, "PersistentVolumeClaim")).toHaveLength(0);
  });

  it("keeps SQLite on a claim it creates (kept on uninstall) or one given, mounted, as the default URL", () => {
    const ms = render([
      "history.persistence.enabled=true",
      "history.persistence.size=5Gi",
      "history.persistence.storageClassName=standard",
    ]);
    const [pvc] = of(ms, "PersistentVolumeClaim") as (Manifest & { spec: Record<string, unknown> })[];
    expect(pvc!.metadata.name).toBe("topo-topo-operator-history");
    expect(pvc!.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(pvc!.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      storageClassName: "standard",
      resources: { requests: { storage: "5Gi" } },
    });
    expect(value(ms, "TOPO_HISTORY_URL")).toBe("sqlite:/var/lib/topo/history.db");
    expect(pod(ms).containers[0]!.volumeMounts).toContainEqual({
      name: "history",
      mountPath: "/var/lib/topo",
    });
    expect(pod(ms).volumes).toContainEqual({
      name: "history",
      persistentVolumeClaim: { claimName: "topo-topo-operator-history" },
    });

    const given = render(["history.persistence.enabled=true", "history.persistence.existingClaim=my-claim"]);
    expect(of(given, "PersistentVolumeClaim")).toHaveLength(0);
    expect(pod(given).volumes).toContainEqual({
      name: "history",
      persistentVolumeClaim: { claimName: "my-claim" },
    });
    // A URL from a Secret wins over the default path; the volume stays mounted for a sqlite: URL on it.
    const both = render(["history.persistence.enabled=true", "history.url.existingSecret=h"]);
    expect(secretRef(both, "TOPO_HISTORY_URL")).toEqual({ name: "h", key: "url" });
    expect(() => render(["history.persistence.enabled=true", "replicas=2"])).toThrow(/needs replicas 1/);
  });

  it("adds an Ingress with its class and host, TLS from a Secret or through a cert-manager issuer", () => {
    const plain = of(render([...INGRESS, "dashboard.ingress.className=nginx"]), "Ingress")[0] as Manifest & {
      spec: Record<string, unknown>;
    };
    expect(plain.metadata.annotations).toBeUndefined();
    expect(plain.spec).toEqual({
      ingressClassName: "nginx",
      rules: [
        {
          host: "topo.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "topo-topo-operator-dashboard", port: { name: "http" } } },
              },
            ],
          },
        },
      ],
    });
    const own = of(
      render([...INGRESS, "dashboard.ingress.tls.enabled=true", "dashboard.ingress.tls.secretName=topo-tls"]),
      "Ingress",
    )[0] as Manifest & { spec: { tls: unknown } };
    expect(own.spec.tls).toEqual([{ hosts: ["topo.example.com"], secretName: "topo-tls" }]);
    expect(own.metadata.annotations).toBeUndefined();
    const issued = of(
      render([
        ...INGRESS,
        "dashboard.ingress.tls.enabled=true",
        "dashboard.ingress.tls.clusterIssuer=letsencrypt",
        "dashboard.ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-read-timeout=3600",
      ]),
      "Ingress",
    )[0] as Manifest & { spec: { tls: unknown } };
    expect(issued.spec.tls).toEqual([
      { hosts: ["topo.example.com"], secretName: "topo-topo-operator-dashboard-tls" },
    ]);
    expect(issued.metadata.annotations).toEqual({
      "cert-manager.io/cluster-issuer": "letsencrypt",
      "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
    });
    expect(() => render(INGRESS.filter((s) => !s.includes("host=")))).toThrow(
      /dashboard.ingress.host is required/,
    );
    expect(() => render(["dashboard.ingress.enabled=true", "dashboard.ingress.host=x"])).toThrow(
      /dashboard.ingress.enabled needs dashboard.enabled/,
    );
    expect(() => render([...INGRESS, "dashboard.ingress.hosts=x"])).toThrow(/additional properties 'hosts'/);
  });

  it("adds a Gateway API HTTPRoute attached to the parentRefs, for the hostnames", () => {
    const [route] = of(render(ROUTE), "HTTPRoute") as (Manifest & { spec: Record<string, unknown> })[];
    expect(route!.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(route!.spec).toEqual({
      parentRefs: [{ name: "public", namespace: "gateways", sectionName: "https" }],
      hostnames: ["topo.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ name: "topo-topo-operator-dashboard", port: 8080 }],
        },
      ],
    });
    expect(() => render(ROUTE.filter((s) => !s.includes("parentRefs")))).toThrow(
      /dashboard.httpRoute.parentRefs is required/,
    );
  });

  it("says in NOTES.txt where the dashboard is hosted, who signs in, and where history goes", () => {
    const text = notes([
      ...OIDC,
      ...INGRESS,
      ...ROUTE,
      "dashboard.ingress.tls.enabled=true",
      "dashboard.ingress.tls.clusterIssuer=letsencrypt",
      "history.persistence.enabled=true",
    ]);
    expect(text).toContain(
      "Ingress: https://topo.example.com/ (certificate in Secret topo-topo-operator-dashboard-tls, issued by cert-manager ClusterIssuer letsencrypt)",
    );
    expect(text).toContain(
      "HTTPRoute: topo-topo-operator-dashboard on Gateway gateways/public for topo.example.com",
    );
    expect(text).toContain(
      "Sign-in: OpenID Connect with https://dex.example.com (client topo); register the redirect URL https://topo.example.com/auth/callback there.",
    );
    expect(text).toContain(
      "History: recorded in SQLite at /var/lib/topo/history.db on the claim topo-topo-operator-history",
    );
    expect(notes(["history.url.existingSecret=topo-history"])).toContain(
      "History: recorded at the URL in Secret topo-history (key url)",
    );
  });
});
