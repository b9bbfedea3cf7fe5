// The chart and the image on a real API server: helm releases, kubeconfigs (optionally impersonating the
// chart's ServiceAccount), the operator started with a release's own environment, and HTTP status probes.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { ApiError, NotFound } from "../../../operator/src/kube/errors.ts";
import { request } from "../../../operator/src/kube/rest.ts";
import { freePort, kube, ROOT, startOperator, type OperatorProcess } from "../operator/harness.ts";
import { CHART, helm } from "../../unit/chart/helm.ts";

export { CHART, cachedTool, helm, parseManifests, render, type Manifest } from "../../unit/chart/helm.ts";

/** The image hack/operator-image.sh builds; the chart runs it with these values on a cluster that has it. */
export const LOCAL_IMAGE = "topo/operator:dev";
export const LOCAL_IMAGE_VALUES = [
  "image.repository=topo/operator",
  "image.tag=dev",
  "image.pullPolicy=Never",
];

/** Builds the operator image from the repository's Dockerfile on the local base; returns the builder's summary. */
export function buildOperatorImage(): string {
  const r = spawnSync(join(ROOT, "hack/operator-image.sh"), [LOCAL_IMAGE], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`hack/operator-image.sh failed (${r.status}): ${r.stderr || r.error}`);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("[operator-image]") || l.startsWith("[base-image]"))
    .join("\n");
}

/** A short random suffix for release and namespace names. */
export const suffix = (): string => Math.random().toString(36).slice(2, 8);

/**
 * A kubeconfig with the current cluster and user's credentials inlined (so it can be mounted into a
 * container), optionally impersonating another user, e.g. a chart's ServiceAccount. Mode 0644: the
 * operator image runs as uid 65532.
 */
export function writeKubeconfig(opts: { as?: string } = {}): string {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const cluster = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser()!;
  const b64 = (file?: string, data?: string) =>
    data ?? (file ? readFileSync(file).toString("base64") : undefined);
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "e2e",
        cluster: {
          server: cluster.server,
          "certificate-authority-data": b64(cluster.caFile, cluster.caData),
        },
      },
    ],
    users: [
      {
        name: "e2e",
        user: {
          "client-certificate-data": b64(user.certFile, user.certData),
          "client-key-data": b64(user.keyFile, user.keyData),
          ...(user.token ? { token: user.token } : {}),
          ...(opts.as ? { as: opts.as } : {}),
        },
      },
    ],
    contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e" } }],
    "current-context": "e2e",
  };
  const dir = mkdtempSync(join(tmpdir(), "topo-kubeconfig-"));
  chmodSync(dir, 0o755);
  const path = join(dir, "config");
  writeFileSync(path, stringify(doc), { mode: 0o644 });
  return path;
}

/** Removes a kubeconfig writeKubeconfig wrote, with its directory. */
export function removeKubeconfig(path: string | undefined): void {
  if (path) rmSync(dirname(path), { recursive: true, force: true });
}

/** The username a ServiceAccount's token authenticates as. */
export const serviceAccountUser = (namespace: string, name: string): string =>
  `system:serviceaccount:${namespace}:${name}`;

/** `helm install --wait` (kwok makes the operator's pods Ready); returns helm's output. */
export function installRelease(opts: {
  release: string;
  namespace: string;
  set?: string[];
  chart?: string;
}): string {
  const args = ["install", opts.release, opts.chart ?? CHART, "--namespace", opts.namespace];
  for (const s of opts.set ?? []) args.push("--set", s);
  return helm([...args, "--wait", "--timeout", "120s"]);
}

/** `helm uninstall`, ignoring a release that is already gone; returns helm's output. */
export function uninstallRelease(release: string, namespace: string): string {
  return helm(["uninstall", release, "--namespace", namespace, "--ignore-not-found", "--wait"]);
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
export interface ReleaseDeployment extends KubernetesObject {
  spec: {
    replicas: number;
    strategy: { type: string };
    template: {
      spec: { serviceAccountName: string; containers: { name: string; image: string; env: EnvVar[] }[] };
    };
  };
  status?: { availableReplicas?: number; observedGeneration?: number };
}

/** The operator Deployment of a release, as the API server stores it. */
export async function releaseDeployment(namespace: string, release: string): Promise<ReleaseDeployment> {
  const list = await request<{ items: ReleaseDeployment[] }>(
    kube().kc,
    "GET",
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    { query: { labelSelector: `app.kubernetes.io/instance=${release}` } },
  );
  if (list.items.length !== 1)
    throw new Error(
      `expected one Deployment of release ${release} in ${namespace}, found ${list.items.length}`,
    );
  return list.items[0]!;
}

/**
 * The container's plain env of a release's Deployment (valueFrom entries are left out). The API server drops
 * an empty `value`, so an entry with neither is "".
 */
export function deploymentEnv(d: ReleaseDeployment): Record<string, string> {
  const env = d.spec.template.spec.containers[0]!.env;
  return Object.fromEntries(env.filter((e) => e.valueFrom === undefined).map((e) => [e.name, e.value ?? ""]));
}

export interface ImpersonatedOperator {
  operator: OperatorProcess;
  /** Its identity in the Lease (TOPO_POD_NAME). */
  identity: string;
  /** The dashboard's port, when the release enables it. */
  dashboardPort: number;
  kubeconfig: string;
  /** A client with the same identity: the chart's ServiceAccount. */
  kc: KubeConfig;
  stop(): Promise<void>;
}

/**
 * Starts `topo operator` from source with the environment of a release's Deployment, authenticated as the
 * cluster admin but impersonating the release's ServiceAccount: every call it makes is authorized with
 * exactly the chart's RBAC. Only the ports (free ones, on 127.0.0.1), the pod name and, when given, the
 * watched namespaces are changed.
 */
export async function startImpersonatedOperator(opts: {
  namespace: string;
  release: string;
  watchNamespaces?: string;
  /** Another source tree of the operator to run (an earlier release). */
  root?: string;
}): Promise<ImpersonatedOperator> {
  const d = await releaseDeployment(opts.namespace, opts.release);
  const sa = serviceAccountUser(opts.namespace, d.spec.template.spec.serviceAccountName);
  const kubeconfig = writeKubeconfig({ as: sa });
  const env = deploymentEnv(d);
  for (const k of ["TOPO_HTTP_HOST", "TOPO_HTTP_PORT", "TOPO_DASHBOARD_PORT"]) delete env[k];
  const namespaces = opts.watchNamespaces ?? env.TOPO_NAMESPACES!;
  const identity = `${opts.release}-e2e-${process.pid}`;
  const dashboardPort = await freePort();
  try {
    const operator = await startOperator({
      ...(opts.root ? { root: opts.root } : {}),
      namespace: namespaces,
      env: {
        ...env,
        TOPO_NAMESPACES: namespaces,
        TOPO_HTTP_HOST: "127.0.0.1",
        TOPO_DASHBOARD_PORT: String(dashboardPort),
        TOPO_POD_NAME: identity,
        KUBECONFIG: kubeconfig,
      },
    });
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    return {
      operator,
      identity,
      dashboardPort,
      kubeconfig,
      kc,
      stop: async () => {
        await operator.stop();
        removeKubeconfig(kubeconfig);
      },
    };
  } catch (err) {
    removeKubeconfig(kubeconfig);
    throw err;
  }
}

/** The HTTP status of one API call (200 when it succeeds), e.g. 403 when RBAC denies it. */
export async function statusOf(
  kc: KubeConfig,
  method: "GET" | "PATCH" | "DELETE" | "POST",
  path: string,
  opts: { query?: Record<string, string>; body?: unknown; contentType?: string } = {},
): Promise<number> {
  try {
    await request(kc, method, path, opts);
    return 200;
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
}

/** The condition `type` of a CustomResourceDefinition, or undefined when the CRD does not exist. */
export async function crdCondition(name: string, type: string): Promise<string | undefined> {
  try {
    const crd = await request<{ status?: { conditions?: { type: string; status: string }[] } }>(
      kube().kc,
      "GET",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    return crd.status?.conditions?.find((c) => c.type === type)?.status ?? "Unknown";
  } catch (err) {
    if (err instanceof NotFound) return undefined;
    throw err;
  }
}

/** The resources an API group version serves (discovery), empty when it serves none. */
export async function servedResources(groupVersion: string): Promise<string[]> {
  try {
    const list = await request<{ resources: { name: string }[] }>(kube().kc, "GET", `/apis/${groupVersion}`);
    return list.resources.map((r) => r.name);
  } catch (err) {
    if (err instanceof NotFound) return [];
    throw err;
  }
}
