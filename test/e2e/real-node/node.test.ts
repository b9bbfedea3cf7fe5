// The real node (hack/real-node.sh) works as a Kubernetes node does: a testsvc pod runs there as a real
// container, is Ready because the kubelet's readiness probe passed, its logs and exec go through the API server
// to the kubelet, cluster DNS answers inside pods, pods reach the API server through the `kubernetes` Service's
// ClusterIP (kube-proxy), a NetworkPolicy (kube-router) refuses a connection it does not allow, and a Service
// answers by its DNS name.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { promisify } from "node:util";
import type { V1Pod } from "@kubernetes/client-node";
import { request } from "../../../operator/src/kube/rest.ts";
import { kube, waitFor } from "../operator/harness.ts";
import {
  createRealNodeNamespace,
  REAL_NODE_IP,
  REAL_NODE_KEY,
  REAL_NODE_NAME,
  REAL_NODE_POD_CIDR,
  requireRealNode,
} from "../support/real-node.ts";

const NS = `real-node-${randomBytes(3).toString("hex")}`;
const api = <T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown) =>
  request<T>(kube().kc, method, path, body === undefined ? {} : { body });

/** kubectl with the current KUBECONFIG: exec goes API server -> kubelet like any user's would. */
async function kubectl(...args: string[]): Promise<{ code: number; out: string }> {
  const bin = process.env.TOPO_KUBECTL ?? "kubectl";
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, { timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}
const exec = (pod: string, ...cmd: string[]) => kubectl("exec", "-n", NS, pod, "--", ...cmd);

/** A testsvc pod with no scheduling fields: the namespace sends it to the real node. */
function testsvc(name: string, labels: Record<string, string>): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "testsvc",
          image: "topo/testsvc:local",
          imagePullPolicy: "Never",
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  };
}

const readPod = (name: string) => api<V1Pod>("GET", `/api/v1/namespaces/${NS}/pods/${name}`);
const isReady = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

async function runReady(pod: V1Pod): Promise<V1Pod> {
  const created = Date.now();
  await api("POST", `/api/v1/namespaces/${NS}/pods`, pod);
  const ready = await waitFor(`pod ${pod.metadata!.name} Ready`, async () => {
    const p = await readPod(pod.metadata!.name!);
    return isReady(p) && p;
  });
  process.stdout.write(
    `[real-node] pod ${pod.metadata!.name} Ready ${Date.now() - created} ms after creation\n`,
  );
  return ready;
}

/** Whether `from` gets an HTTP answer from ip:8080 within 3 s (busybox 1.35's `wget -T` crashes: timeout). */
async function connects(from: string, ip: string): Promise<boolean> {
  const r = await exec(from, "timeout", "3", "wget", "-q", "-O", "/dev/null", `http://${ip}:8080/healthz`);
  return r.code === 0;
}

/** An anonymous HTTPS GET to the kubelet, checking its certificate against the cluster's CA: the status code. */
function anonymousKubeletGet(path: string): Promise<number> {
  const cluster = kube().kc.getCurrentCluster()!;
  const ca = cluster.caFile ? readFileSync(cluster.caFile) : Buffer.from(cluster.caData!, "base64");
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: REAL_NODE_IP, port: 10250, path, ca, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

describe("the real node", () => {
  let server: V1Pod;

  beforeAll(async () => {
    await requireRealNode();
    await createRealNodeNamespace(NS);
  });

  afterAll(async () => {
    await api("DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
  });

  it("runs a testsvc pod there, Ready once the kubelet's HTTP readiness probe passes", async () => {
    server = await runReady(testsvc("server", { app: "server" }));
    expect(server.spec!.nodeName).toBe(REAL_NODE_NAME);
    // The namespace's admission defaults, not the pod, chose the node.
    expect(server.spec!.nodeSelector).toEqual({ [REAL_NODE_KEY]: "true" });
    expect(server.spec!.tolerations).toContainEqual(expect.objectContaining({ key: REAL_NODE_KEY }));
    expect(server.status!.podIP).toMatch(
      new RegExp(`^${REAL_NODE_POD_CIDR.split(".").slice(0, 3).join("\\.")}\\.`),
    );
    const container = server.status!.containerStatuses![0]!;
    expect(container.containerID).toMatch(/^containerd:\/\//);
    expect(container.state!.running).toBeDefined();
  });

  it("serves the container's logs and exec through the API server", async () => {
    const logs = await kubectl("logs", "-n", NS, "server");
    expect(logs).toEqual({ code: 0, out: expect.stringContaining("testsvc: listening on :8080") });
    const hostname = await exec("server", "cat", "/etc/hostname");
    expect(hostname).toEqual({ code: 0, out: "server\n" });
    // A failing command's exit status comes back too.
    expect((await exec("server", "sh", "-c", "exit 3")).code).not.toBe(0);
  });

  it("has a kubelet that serves a CA-signed certificate for its IP and refuses anonymous requests", async () => {
    // The TLS handshake verifies the certificate (IP SAN 172.30.0.2); the kubelet then answers 401.
    expect(await anonymousKubeletGet("/pods")).toBe(401);
  });

  it("resolves kubernetes.default.svc.cluster.local through cluster DNS inside a pod", async () => {
    const r = await exec("server", "nslookup", "kubernetes.default.svc.cluster.local");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Address:\s+10\.96\.0\.1\b/);
  });

  it("reaches the API server from a pod through the kubernetes Service's ClusterIP, as an in-cluster client", async () => {
    // The pod's service account may read pods in its namespace; testsvc GETs one with the account's token,
    // checking the API server's certificate against the account's CA (the certificate names 10.96.0.1).
    await api("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
      metadata: { name: "read-pods" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
    });
    await api("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      metadata: { name: "read-pods" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "read-pods" },
      subjects: [{ kind: "ServiceAccount", name: "default", namespace: NS }],
    });
    const url = `https://10.96.0.1:443/api/v1/namespaces/${NS}/pods/server`;
    const r = await waitFor("the pod's GET through the ClusterIP", async () => {
      const out = await exec("server", "testsvc", "get", url);
      return out.code === 0 && out;
    });
    expect(JSON.parse(r.out)).toMatchObject({ kind: "Pod", metadata: { name: "server", namespace: NS } });
  });

  it("enforces a NetworkPolicy: a pod it does not allow is refused, one it allows connects", async () => {
    const [friend, stranger] = await Promise.all([
      runReady(testsvc("friend", { role: "friend" })),
      runReady(testsvc("stranger", { role: "stranger" })),
    ]);
    const ip = server.status!.podIP!;
    // Before the policy both connect, so a refusal below is the policy's doing.
    expect(await connects(friend.metadata!.name!, ip)).toBe(true);
    expect(await connects(stranger.metadata!.name!, ip)).toBe(true);
    await api("POST", `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "server-from-friends" },
      spec: {
        podSelector: { matchLabels: { app: "server" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { role: "friend" } } }], ports: [{ port: 8080 }] }],
      },
    });
    await waitFor(
      "the stranger refused",
      async () => !(await connects(stranger.metadata!.name!, ip)),
      60_000,
      500,
    );
    expect(await connects(friend.metadata!.name!, ip)).toBe(true);
    // The kubelet's probes come from the node and are still let through: the server stays Ready.
    expect(isReady(await readPod("server"))).toBe(true);
  });

  it("serves a Service by its DNS name and ClusterIP (kube-proxy), under the same policy", async () => {
    await api("POST", `/api/v1/namespaces/${NS}/services`, {
      metadata: { name: "server" },
      spec: { selector: { app: "server" }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const get = (from: string) =>
      exec(from, "timeout", "3", "wget", "-q", "-O-", `http://server.${NS}.svc.cluster.local/healthz`);
    const answer = await waitFor("the Service answering the friend", async () => {
      const r = await get("friend");
      return r.code === 0 && r;
    });
    expect(answer.out).toBe("ok\n");
    expect((await get("stranger")).code).not.toBe(0);
  });
});
