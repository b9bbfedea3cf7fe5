// Isolation, for real: the NetworkPolicies the operator writes for `isolation: links` are enforced by the real
// node's kube-router. A node that is not a declared peer of the server cannot connect to it (the connection
// times out), while a declared peer can; switched to `isolation: none`, the operator removes the policies and
// both can.
import { request } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  kube,
  listOwned,
  startOperator,
  topology,
  waitFor,
  waitForPhase,
  type OperatorProcess,
} from "../operator/harness.ts";
import { createRealNodeNamespace, requireRealNode } from "../support/real-node.ts";
import { getFrom, readyPod, suffix } from "./helpers.ts";

const NS = `rn-isolation-${suffix()}`;
const IMAGE = "topo/testsvc:local";
const node = (name: string, connectsTo: string[] = []) => ({
  name,
  image: IMAGE,
  ports: [{ name: "http", port: 8080 }],
  health: { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "1s" },
  connectsTo,
});
// peer declares an edge to server (unless it is cut); stranger declares none.
const spec = (isolation: "links" | "none", cut = false) => ({
  nodes: [node("server"), node("peer", cut ? [] : ["server"]), node("stranger")],
  isolation,
});
const SERVER = "http://net-server:8080/healthz";

describe("isolation on the real node", () => {
  let op: OperatorProcess;
  let peer: string;
  let stranger: string;
  /** Whether a pod's GET of the server's Service answers within 3 s. */
  const connects = async (pod: string) => (await getFrom(NS, pod, SERVER)).code === 0;

  /** The peer's one Ready pod, once the pod its last change replaced has gone. */
  const onePeerPod = () =>
    waitFor("one Ready pod of the peer", () =>
      readyPod(NS, "net", "peer").then(
        (p) => (p.metadata!.deletionTimestamp ? undefined : p.metadata!.name!),
        () => undefined,
      ),
    );

  beforeAll(async () => {
    await requireRealNode();
    await createRealNodeNamespace(NS);
    op = await startOperator({ namespace: NS });
  });

  afterAll(async () => {
    if (expect.getState().assertionCalls !== expect.getState().numPassingAsserts)
      process.stderr.write(`--- operator logs ---\n${op?.logs().slice(-6000)}\n`);
    await op?.stop();
    await request(kube().kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
  });

  it("with isolation: links, lets a declared peer connect and refuses a node that is not one", async () => {
    await applyTopology(topology(NS, "net", spec("links")));
    await waitForPhase(NS, "net", "Ready", 180_000);
    expect(await listOwned(NS, "NetworkPolicy", "networking.k8s.io/v1", "net")).toHaveLength(3);
    peer = (await readyPod(NS, "net", "peer")).metadata!.name!;
    stranger = (await readyPod(NS, "net", "stranger")).metadata!.name!;
    // The peer gets through once DNS, the Service and the policy are all in place...
    await waitFor("the peer's GET", () => connects(peer), 60_000, 500);
    // ...and the stranger does not (kube-router applies the policies as the pods appear: wait for it).
    await waitFor("the stranger refused", async () => !(await connects(stranger)), 60_000, 500);
    const attempt = await getFrom(NS, stranger, SERVER);
    expect(attempt.code).not.toBe(0);
    // Refused by the network, not by the server: the same request from the peer still answers.
    expect(await getFrom(NS, peer, SERVER)).toEqual({ code: 0, out: "ok\n" });
    // The server's pod IP directly is refused too: the policy is on the pod, not on the Service.
    const ip = (await readyPod(NS, "net", "server")).status!.podIP!;
    expect((await getFrom(NS, stranger, `http://${ip}:8080/healthz`)).code).not.toBe(0);
    expect((await getFrom(NS, peer, `http://${ip}:8080/healthz`)).code).toBe(0);
  });

  it("refuses the peer too once its edge to the server is removed (the server's last incoming peer)", async () => {
    await applyTopology(topology(NS, "net", spec("links", true)));
    await waitFor(
      "the server's policy to admit no peer",
      async () => {
        const policies = (await listOwned(NS, "NetworkPolicy", "networking.k8s.io/v1", "net")) as {
          metadata?: { name?: string };
          spec?: { ingress?: unknown[] };
        }[];
        const server = policies.find((p) => p.metadata?.name === "net-server");
        return server && !server.spec?.ingress?.length;
      },
      60_000,
    );
    await waitForPhase(NS, "net", "Ready", 180_000);
    // The peer's pod is new (its TOPO_PEERS changed): the policy, not a stale connection, decides.
    peer = await onePeerPod();
    await waitFor("the former peer refused", async () => !(await connects(peer)), 60_000, 500);
    expect((await getFrom(NS, peer, SERVER)).code).not.toBe(0);
    expect((await getFrom(NS, stranger, SERVER)).code).not.toBe(0);
  });

  it("with isolation: none, lets both connect once the operator has removed the policies", async () => {
    await applyTopology(topology(NS, "net", spec("none")));
    await waitFor(
      "the NetworkPolicies removed",
      async () => (await listOwned(NS, "NetworkPolicy", "networking.k8s.io/v1", "net")).length === 0,
    );
    await waitForPhase(NS, "net", "Ready");
    peer = await onePeerPod();
    await waitFor("the stranger's GET", () => connects(stranger), 60_000, 500);
    expect(await getFrom(NS, stranger, SERVER)).toEqual({ code: 0, out: "ok\n" });
    expect(await getFrom(NS, peer, SERVER)).toEqual({ code: 0, out: "ok\n" });
    // No pod restarted for it: the same pods answer, isolation is the network's business only.
    expect((await readyPod(NS, "net", "stranger")).metadata!.name).toBe(stranger);
  });
});
