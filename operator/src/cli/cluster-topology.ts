// A Topology in the cluster as `topo history` and `topo rollback` see it: read it, set or remove its
// topo.dev/rollback-to annotation, and wait for the operator's answer in its status.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ANNOTATION_ROLLBACK_TO, ConditionType, GROUP, PLURAL, VERSION } from "../api/constants.ts";
import type { HistoryEntry, TopologyStatus } from "../api/schema.ts";
import { KubeConfig } from "../kube/client.ts";
import { ApiError, NotFound } from "../kube/errors.ts";
import { request } from "../kube/rest.ts";
import { UserError } from "./command.ts";

export interface ClusterTopology {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec?: { rollout?: { progressDeadlineSeconds?: number } };
  status?: TopologyStatus;
}

export interface ClusterRef {
  kc: KubeConfig;
  namespace: string;
  name: string;
}

/**
 * The kubeconfig of `env`: KUBECONFIG (its first file), the in-cluster service account, or ~/.kube/config;
 * and the namespace: -n, the context's, or default.
 */
export function clusterRef(env: NodeJS.ProcessEnv, name: string, namespace?: string): ClusterRef {
  const kc = new KubeConfig();
  const home = join(env.HOME ?? homedir(), ".kube", "config");
  const file = env.KUBECONFIG?.split(":").find(Boolean) ?? (existsSync(home) ? home : undefined);
  try {
    if (file) kc.loadFromFile(file);
    else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  } catch (err) {
    throw new UserError(`cannot read the kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!kc.getCurrentCluster())
    throw new UserError(
      `no cluster to talk to about Topology "${name}": set KUBECONFIG${file ? ` (${file} has no current context)` : ""}, or give a topology FILE for Compose`,
    );
  const ns = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  return { kc, namespace: ns, name };
}

const pathOf = (r: ClusterRef) => `/apis/${GROUP}/${VERSION}/namespaces/${r.namespace}/${PLURAL}/${r.name}`;

/** What the cluster said, as one line a user can act on. */
function clusterError(r: ClusterRef, err: unknown): never {
  if (err instanceof NotFound)
    throw new UserError(`topology ${r.namespace}/${r.name} not found`, { cause: err });
  const server = r.kc.getCurrentCluster()?.server;
  const why = err instanceof ApiError ? err.message : ((err as Error).cause as Error)?.message;
  throw new UserError(`the cluster at ${server} did not answer: ${why ?? (err as Error).message}`, {
    cause: err,
  });
}

export async function readTopology(r: ClusterRef): Promise<ClusterTopology> {
  return request<ClusterTopology>(r.kc, "GET", pathOf(r)).catch((err: unknown) => clusterError(r, err));
}

/** Sets topo.dev/rollback-to to `value`, or removes it (undefined); the spec is not touched. */
export async function setRollbackTo(r: ClusterRef, value: string | undefined): Promise<void> {
  await request(r.kc, "PATCH", pathOf(r), {
    body: { metadata: { annotations: { [ANNOTATION_ROLLBACK_TO]: value ?? null } } },
    contentType: "application/merge-patch+json",
  }).catch((err: unknown) => clusterError(r, err));
}

/** The operator's answer to a request for `revision`, once its status gives one. */
export type Verdict =
  | { kind: "refused"; message: string }
  | { kind: "ready"; entry: HistoryEntry }
  | { kind: "failed"; entry: HistoryEntry };

export function verdictOf(t: ClusterTopology, revision: number): Verdict | undefined {
  const latest = t.status?.history?.at(-1);
  if (latest?.trigger === "manual" && latest.revision === revision) {
    if (latest.outcome === "Succeeded") return { kind: "ready", entry: latest };
    if (latest.outcome === "Failed") return { kind: "failed", entry: latest };
    return undefined;
  }
  // A refusal names the revision asked for.
  const refusal = `${ANNOTATION_ROLLBACK_TO} refused: revision ${revision} `;
  const message = t.status?.conditions?.find((c) => c.type === ConditionType.Pinned)?.message ?? "";
  const i = message.indexOf(refusal);
  return i >= 0 ? { kind: "refused", message: message.slice(i) } : undefined;
}

/** Polls the Topology until the operator answers the request for `revision`, or `timeoutMs` passes. */
export async function waitForVerdict(
  r: ClusterRef,
  revision: number,
  timeoutMs: number,
): Promise<Verdict | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = verdictOf(await readTopology(r), revision);
    if (v || Date.now() > deadline) return v;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
