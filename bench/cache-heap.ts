// Benchmark: the heap the operator's informer caches take per Topology, measured on the live objects of
// a namespace (one whose Topologies an operator has converged): every kind the operator watches, listed
// as its informers list them and kept as its caches keep them, with the cache's strings pooled
// (kube/string-pool.ts), beside the baseline of the same objects with each kind's transform alone. Each
// variant is measured in a process of its own, the heap after a full GC before and after the lists.
//   Run: hack/node.sh node bench/cache-heap.ts NAMESPACE     (KUBECONFIG chooses the cluster)
// bench:operator runs it on its namespace once the Topologies are Ready.
import { execFileSync } from "node:child_process";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { WATCHED } from "../operator/src/controller/manager.ts";
import { listRaw } from "../operator/src/kube/informer.ts";
import { StringPool } from "../operator/src/kube/string-pool.ts";

const [ns, variant] = process.argv.slice(2);
if (!ns) throw new Error("usage: bench/cache-heap.ts NAMESPACE");

export interface CacheHeap {
  topologies: number;
  objects: number;
  /** Heap bytes per Topology with the strings pooled, as the operator keeps its caches. */
  pooledBytesPerTopology: number;
  /** The same objects with each kind's transform alone. */
  transformOnlyBytesPerTopology: number;
  ratio: number;
}

/** One variant, in this process: the lists kept, and the heap they hold. */
async function measure(pooled: boolean): Promise<{ topologies: number; objects: number; bytes: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const pool = new StringPool();
  const kept: KubernetesObject[][] = [];
  const list = (spec: (typeof WATCHED)[number], transform: (o: KubernetesObject) => KubernetesObject) =>
    listRaw(
      kc,
      `/api${spec.apiVersion.includes("/") ? "s" : ""}/${spec.apiVersion}/namespaces/${ns}/${spec.plural}`,
      {
        kind: spec.kind,
        apiVersion: spec.apiVersion,
        ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
        transform,
      },
    );
  // The client's own first-use memory (connection, TLS, lazily loaded modules) is not the caches'.
  await list(WATCHED[0]!, (o) => o);
  gc();
  const before = process.memoryUsage().heapUsed;
  let topologies = 0;
  for (const spec of WATCHED) {
    const transform = spec.transform ?? ((o: KubernetesObject) => o);
    const { items } = await list(spec, pooled ? (o) => pool.intern(transform(o)) : transform);
    if (spec.kind === WATCHED[0]!.kind) topologies = items.length;
    kept.push(items);
  }
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  return { topologies, objects: kept.reduce((n, items) => n + items.length, 0), bytes };
}

if (variant) {
  console.log(JSON.stringify(await measure(variant === "pooled")));
} else {
  // Alternately, three times each; the median of each.
  const runs: Record<"pooled" | "transform", { topologies: number; objects: number; bytes: number }[]> = {
    pooled: [],
    transform: [],
  };
  for (let i = 0; i < 3; i++)
    for (const v of ["transform", "pooled"] as const)
      runs[v].push(
        JSON.parse(
          execFileSync(process.execPath, ["--expose-gc", import.meta.filename, ns, v], { encoding: "utf8" }),
        ),
      );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  const { topologies, objects } = runs.pooled[0]!;
  const per = (v: "pooled" | "transform") => Math.round(median(runs[v].map((r) => r.bytes)) / topologies);
  const result: CacheHeap = {
    topologies,
    objects,
    pooledBytesPerTopology: per("pooled"),
    transformOnlyBytesPerTopology: per("transform"),
    ratio: +(per("pooled") / per("transform")).toFixed(2),
  };
  console.log(JSON.stringify(result, null, 2));
}
