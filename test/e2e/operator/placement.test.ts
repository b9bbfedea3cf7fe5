// Placement on a control plane with four kwok nodes in two zones, of this file's own: the shared one has
// three unlabelled nodes (and, with the real node, a fourth tainted one), and its other tests' pods must
// not sit on the nodes a spread is judged over. Replicas and a generated mesh spread over nodes, a rolling
// update keeps the skew, zones spread, spread none writes nothing, and DoNotSchedule with too few nodes
// fails the deadline and rolls back saying which pods wait and why.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import { startPrivateCluster, type PrivateCluster } from "../support/private-cluster.ts";
import {
  applyTopology,
  kube,
  listOwned,
  readTopology,
  ROOT,
  startOperator,
  topology,
  waitFor,
  type OperatorProcess,
  type TopologyObject,
} from "./harness.ts";

const NS = "placement";
const NODES = 4;

interface Pod {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; topologySpreadConstraints?: unknown[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** The Ready pods of a topology (not being deleted), by its node label. */
async function readyPods(name: string, node?: string): Promise<Pod[]> {
  const selector = `topo.dev/topology=${name}${node ? `,topo.dev/node=${node}` : ""}`;
  const list = await request<{ items: Pod[] }>(kube().kc, "GET", resourcePath("v1", "Pod", NS), {
    query: { labelSelector: selector },
  });
  return list.items.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
}

/** How many pods each cluster node (or zone) holds, every node of the cluster counted (0 included). */
function countBy(pods: Pod[], keyOf: (host: string) => string, keys: string[]): Map<string, number> {
  const counts = new Map(keys.map((k) => [k, 0]));
  for (const p of pods) {
    const k = keyOf(p.spec.nodeName!);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}
const skew = (counts: Map<string, number>) => Math.max(...counts.values()) - Math.min(...counts.values());

/** Ready at the revision the spec asked for (observedGeneration), every node Ready. */
const readyAt = (name: string, revision: number) =>
  waitFor(
    `${name} Ready at revision ${revision}`,
    async () => {
      const t = await readTopology(NS, name);
      return t.status?.phase === "Ready" &&
        t.status.revision === revision &&
        t.status.observedGeneration === t.metadata?.generation
        ? t
        : undefined;
    },
    180_000,
    500,
  );

/** Until the terminating pods of an earlier template are gone: only the revision's own are counted. */
const settled = (name: string, node: string, want: number) =>
  waitFor(`${want} Ready pods of ${name}/${node}`, async () => {
    const pods = await readyPods(name, node);
    return pods.length === want ? pods : undefined;
  });

const spreadOf = (t: TopologyObject, node: string) =>
  (t.status?.nodes as { name: string; spreadOver?: number }[] | undefined)?.find((n) => n.name === node)
    ?.spreadOver;

describe("placement on four nodes in two zones", () => {
  let cluster: PrivateCluster;
  let operator: OperatorProcess;
  let hosts: string[];
  let zoneOf: Map<string, string>;

  beforeAll(async () => {
    cluster = await startPrivateCluster({ name: "placement", nodes: NODES, zones: 2 });
    process.env.KUBECONFIG = cluster.kubeconfig; // this file's process only: Jest gives each file its own env
    const kubectl = (...args: string[]) =>
      execFileSync(join(ROOT, "hack/kubectl.sh"), ["--kubeconfig", cluster.kubeconfig, ...args], {
        encoding: "utf8",
      });
    kubectl("apply", "--server-side", "-f", join(ROOT, "crds"));
    kubectl("wait", "--for", "condition=established", "--timeout=60s", "crd/topologies.topo.dev");
    kubectl("create", "namespace", NS);
    const nodes = JSON.parse(kubectl("get", "nodes", "-o", "json")) as {
      items: { metadata: { name: string; labels: Record<string, string> } }[];
    };
    hosts = nodes.items.map((n) => n.metadata.name);
    zoneOf = new Map(
      nodes.items.map((n) => [n.metadata.name, n.metadata.labels["topology.kubernetes.io/zone"]!]),
    );
    operator = await startOperator({ namespace: NS });
  }, 600_000);

  afterAll(async () => {
    await operator?.stop("SIGKILL");
    await cluster?.stop();
  });

  it("has the cluster it needs: four nodes, two in each zone", () => {
    expect(hosts).toHaveLength(NODES);
    expect([...zoneOf.values()].sort()).toEqual(["zone-0", "zone-0", "zone-1", "zone-1"]);
  });

  it("puts a 3-replica node on 3 nodes and an 8-node mesh on all 4 with skew ≤ 1, by default; a rolling update keeps both", async () => {
    const api = (image: string) => topology(NS, "shop", { nodes: [{ name: "api", image, replicas: 3 }] });
    const mesh = (image: string) =>
      topology(NS, "lab", {
        generators: [{ prefix: "conn", count: 8, shape: "mesh", template: { image } }],
      });
    await Promise.all([applyTopology(api("api:1")), applyTopology(mesh("conn:1"))]);
    const [shop, lab] = await Promise.all([readyAt("shop", 1), readyAt("lab", 1)]);

    const apiPods = await settled("shop", "api", 3);
    expect(new Set(apiPods.map((p) => p.spec.nodeName)).size).toBe(3);
    expect(spreadOf(shop, "api")).toBe(3);
    const meshPods = await readyPods("lab");
    expect(meshPods).toHaveLength(8);
    const perNode = countBy(meshPods, (h) => h, hosts);
    expect([...perNode.values()].every((n) => n > 0)).toBe(true);
    expect(skew(perNode)).toBeLessThanOrEqual(1);
    expect(spreadOf(lab, "conn-3")).toBe(1);

    // The pod-template-hash case: the new ReplicaSet's pods spread among themselves, not around the old;
    // and the mesh's new pods among themselves (topo.dev/group-revision), not around the old ones.
    await Promise.all([applyTopology(api("api:2")), applyTopology(mesh("conn:2"))]);
    await Promise.all([readyAt("shop", 2), readyAt("lab", 2)]);
    const updated = await settled("shop", "api", 3);
    const hashes = new Set(updated.map((p) => p.metadata.labels["pod-template-hash"]));
    expect(hashes.size).toBe(1);
    expect(new Set(updated.map((p) => p.spec.nodeName)).size).toBe(3);
    const meshNow = await waitFor("the mesh's 8 pods of revision 2 alone", async () => {
      const pods = await readyPods("lab");
      const revisions = new Set(pods.map((p) => p.metadata.labels["topo.dev/group-revision"]));
      return pods.length === 8 && revisions.size === 1 ? pods : undefined;
    });
    expect(meshNow[0]!.metadata.labels["topo.dev/group-revision"]).not.toBe(
      meshPods[0]!.metadata.labels["topo.dev/group-revision"],
    );
    const perNodeNow = countBy(meshNow, (h) => h, hosts);
    expect([...perNodeNow.values()].every((n) => n > 0)).toBe(true);
    expect(skew(perNodeNow)).toBeLessThanOrEqual(1);
  });

  it("spreads over zones: four replicas, two in each", async () => {
    await applyTopology(
      topology(NS, "zoned", {
        placement: { spread: "zones" },
        nodes: [{ name: "web", image: "web:1", replicas: 4 }],
      }),
    );
    const t = await readyAt("zoned", 1);
    const pods = await settled("zoned", "web", 4);
    const perZone = countBy(pods, (h) => zoneOf.get(h)!, ["zone-0", "zone-1"]);
    expect([...perZone.values()]).toEqual([2, 2]);
    expect(spreadOf(t, "web")).toBeGreaterThanOrEqual(2);
    const [deployment] = await listOwned(NS, "Deployment", "apps/v1", "zoned");
    const spec = (deployment as unknown as { spec: { template: { spec: Pod["spec"] } } }).spec.template.spec;
    expect(spec.topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1 }),
    ]);
  });

  it("leaves the pod spec untouched with spread none: no constraint on the Deployment or its pods", async () => {
    await applyTopology(
      topology(NS, "free", {
        placement: { spread: "none" },
        nodes: [{ name: "api", image: "api:1", replicas: 2 }],
        generators: [{ prefix: "c", count: 2, shape: "ring", template: { image: "c:1" } }],
      }),
    );
    await readyAt("free", 1);
    const deployments = (await listOwned(NS, "Deployment", "apps/v1", "free")) as unknown as {
      spec: { template: { metadata: { labels: Record<string, string> }; spec: Pod["spec"] } };
    }[];
    expect(deployments).toHaveLength(3);
    for (const d of deployments) {
      expect(d.spec.template.spec.topologySpreadConstraints).toBeUndefined();
      expect(Object.keys(d.spec.template.metadata.labels)).not.toContain("topo.dev/group");
    }
    for (const p of await readyPods("free")) expect(p.spec.topologySpreadConstraints).toBeUndefined();
  });

  it("fails the deadline with DoNotSchedule and too few nodes, rolls back, and says which pods wait and why", async () => {
    const strict = (whenUnsatisfiable: string) =>
      topology(NS, "strict", {
        rollout: { progressDeadlineSeconds: 20 },
        nodes: [{ name: "api", image: "api:1", replicas: 5, placement: { whenUnsatisfiable } }],
      });
    await applyTopology(strict("ScheduleAnyway"));
    await readyAt("strict", 1);
    // Five replicas that each want a node of their own (minDomains 5) on four nodes: one stays Pending.
    await applyTopology(strict("DoNotSchedule"));
    const t = await waitFor(
      "strict rolled back from revision 2",
      async () => {
        const s = (await readTopology(NS, "strict")).status;
        return s?.phase === "RolledBack" && s.revision === 2 ? s : undefined;
      },
      180_000,
      500,
    );
    const failed = t.history!.find((h) => h.revision === 2)!;
    expect(failed.outcome).toBe("RolledBack");
    expect(failed.reason).toMatch(
      /^not Ready within 20s \(node api: 1 pod unschedulable: .*topology spread constraint/,
    );
    expect(t.conditions!.find((c) => c.type === "RolledBack")!.message).toContain("unschedulable");
    // Back on revision 1: five Ready pods again, on every node.
    await waitFor(
      "revision 1's five pods Ready again",
      async () => {
        const s = (await readTopology(NS, "strict")).status;
        return s?.nodes?.[0]?.phase === "RolledBack" && s.nodes[0].readyReplicas === 5;
      },
      120_000,
    );
    const pods = await settled("strict", "api", 5);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(NODES);
  });
});
