// The reads behind a Kubernetes plan: the live Topology, the children it owns, and a server-side apply of
// every rendered object with dryRun=All under the operator's field manager (the API server validates and
// defaults it, and answers with the object it would store, storing nothing). planKube decides.
import {
  ANNOTATION_ROLLBACK_TO,
  FIELD_MANAGER,
  GROUP,
  KIND,
  LABEL_TOPOLOGY,
  PLURAL,
  VERSION,
} from "../api/constants.ts";
import { parseSpec } from "../api/parse.ts";
import type { TopologyStatus } from "../api/schema.ts";
import type { Topology } from "../api/topology.ts";
import { ownedBy } from "../controller/owner.ts";
import { UserError } from "../errors.ts";
import { serverSideApply } from "../kube/apply.ts";
import type { KubeConfig, KubernetesObject } from "../kube/client.ts";
import { ApiError, NotFound } from "../kube/errors.ts";
import { request, resourcePath } from "../kube/rest.ts";
import { OWNED_KINDS, renderKubernetes } from "../render/k8s/index.ts";
import { sameValue } from "./diff.ts";
import { objectKey, planKube, type LiveObject } from "./kube-plan.ts";
import type { Plan } from "./plan.ts";

interface TopologyResource {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: TopologyStatus;
}

async function get<T>(kc: KubeConfig, path: string): Promise<T | undefined> {
  return request<T>(kc, "GET", path).catch((err: unknown) => {
    if (err instanceof NotFound) return undefined;
    throw err;
  });
}

/** The namespace a plan uses: -n, else the file's, else the kubeconfig context's, else default. */
export function planNamespace(kc: KubeConfig, topology: Topology, flag?: string): string {
  return flag || topology.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || "default";
}

async function listChildren(kc: KubeConfig, namespace: string, name: string, uid: string) {
  const lists = await Promise.all(
    OWNED_KINDS.map(({ apiVersion, kind }) =>
      request<{ items: KubernetesObject[] }>(kc, "GET", resourcePath(apiVersion, kind, namespace), {
        query: { labelSelector: `${LABEL_TOPOLOGY}=${name}` },
      }).then((l) => l.items.filter(ownedBy(uid)).map((o) => ({ ...o, apiVersion, kind }) as LiveObject)),
    ),
  );
  return lists.flat();
}

/** Plans `topology` (as read from a file) against the cluster in `kc`, in `namespace`. Writes nothing. */
export async function planOnCluster(kc: KubeConfig, topology: Topology, namespace: string): Promise<Plan> {
  try {
    return await plan(kc, topology, namespace);
  } catch (err) {
    if (err instanceof UserError) throw err;
    // An answer of the API server says what it refused; anything else is a cluster that did not answer.
    const why =
      err instanceof ApiError ? err.message : (((err as Error).cause as Error)?.message ?? String(err));
    throw new UserError(
      `the cluster at ${kc.getCurrentCluster()?.server} ${err instanceof ApiError ? "refused" : "did not answer"}: ${why}`,
      { cause: err },
    );
  }
}

async function plan(kc: KubeConfig, topology: Topology, namespace: string): Promise<Plan> {
  const notes: string[] = [];
  const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${topology.name}`;
  const [live, ns] = await Promise.all([
    get<TopologyResource>(kc, path),
    get<KubernetesObject>(kc, resourcePath("v1", "Namespace", undefined, namespace)),
  ]);
  if (!ns)
    notes.push(`namespace ${namespace} does not exist: create it first; the API server checked nothing`);
  else if (!live && !(await get(kc, `/apis/${GROUP}/${VERSION}`)))
    notes.push(
      `the ${KIND} CRD is not installed in this cluster: install it (crds/ or the Helm chart) first`,
    );

  const pinned = live?.metadata.annotations?.[ANNOTATION_ROLLBACK_TO];
  if (pinned !== undefined)
    notes.push(
      `${ANNOTATION_ROLLBACK_TO}: "${pinned}" pins the Topology: the operator applies that revision, not this file, until \`topo rollback --release ${topology.name}\``,
    );
  const parsedLive = live
    ? parseSpec(live.spec, { name: topology.name, namespace, uid: live.metadata.uid })
    : undefined;
  const specChanged = !!live && !(parsedLive?.ok && sameValue(parsedLive.topology.spec, topology.spec));
  const resolved: Topology = {
    ...topology,
    namespace,
    ...(live ? { uid: live.metadata.uid } : {}),
  };
  const desired = renderKubernetes(resolved);
  const children = live ? await listChildren(kc, namespace, topology.name, live.metadata.uid) : [];

  const dryRun = new Map<string, LiveObject>();
  if (ns) {
    const failures: string[] = [];
    await Promise.all(
      desired.map(async (obj) => {
        try {
          dryRun.set(
            objectKey(obj),
            await serverSideApply<LiveObject>(kc, obj, { fieldManager: FIELD_MANAGER, dryRun: true }),
          );
        } catch (err) {
          if (!(err instanceof ApiError) || err.code >= 500 || err.code === 401) throw err;
          failures.push(`applying ${objectKey(obj)} would fail: ${err.message}`);
        }
      }),
    );
    if (failures.length) throw new UserError(failures.sort().join("\n"));
  }
  return planKube({
    topology: resolved,
    desired,
    ...(live ? { live: { spec: live.spec, generation: live.metadata.generation, status: live.status } } : {}),
    specChanged,
    children,
    dryRun,
    fieldManager: FIELD_MANAGER,
    // Held only once the operator runs the pinned revision (a refused pin holds nothing).
    ...(pinned !== undefined && live?.status?.revision === Number(pinned) ? { pinned: Number(pinned) } : {}),
    notes,
  });
}
