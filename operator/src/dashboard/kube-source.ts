// The Kubernetes source: Topology objects (spec + status) from an informer cache, Events from the API.
// Inside the operator it reads the operator's own caches; `topo dashboard` starts its own Topology watch.
import type { KubeConfig, KubernetesObject } from "../kube/client.ts";
import { API_VERSION, KIND, PLURAL } from "../api/constants.ts";
import { parseSpec } from "../api/parse.ts";
import type { TopologyStatus } from "../api/schema.ts";
import { formatPath } from "../api/topology.ts";
import { request, resourcePath } from "../kube/rest.ts";
import { KindWatch } from "../kube/informer.ts";
import {
  fromResolved,
  nodeOfMessage,
  nodeOfObject,
  toDetail,
  toSummary,
  type ObservedTopology,
} from "./model.ts";
import type { DashboardSource } from "./source.ts";
import type { DashboardEvent, TopologyDetail } from "./types.ts";

interface TopologyObject extends KubernetesObject {
  spec?: unknown;
  status?: TopologyStatus;
}

/** The read side of a Topology informer: what KubeSource needs, and all it needs. */
export interface TopologyCache {
  all(): KubernetesObject[];
  get(namespace: string, name: string): KubernetesObject | undefined;
}

interface KubeEvent extends KubernetesObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  involvedObject: { kind?: string; name?: string };
}

type Listener = (key: string) => void;

export interface KubeSourceOptions {
  kc: KubeConfig;
  cache: TopologyCache;
  /** Registers the informer event hook; KubeSource fans it out to its subscribers. */
  onTopologyEvent: (cb: (obj: KubernetesObject) => void) => void;
  stop?: () => Promise<void>;
}

export function observe(obj: TopologyObject): ObservedTopology {
  const namespace = obj.metadata?.namespace ?? "";
  const name = obj.metadata?.name ?? "";
  const parsed = parseSpec(obj.spec, { name, namespace });
  return {
    namespace,
    name,
    source: "kube",
    declared: parsed.ok ? parsed.topology.nodes.map(fromResolved) : [],
    status: obj.status ?? {},
    ...(parsed.ok ? {} : { issues: parsed.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) }),
  };
}

/**
 * What each cached Topology object was observed as, and its detail: the informer replaces an object on
 * every change and never changes one in place, so both stand for as long as the object is cached, and the
 * WeakMaps forget them with it. Without them every list (each live update's, at 1,000 Topologies)
 * parsed and expanded every Topology again, and opening a 250-node mesh did so three times.
 */
const observations = new WeakMap<TopologyObject, ObservedTopology>();
const details = new WeakMap<TopologyObject, TopologyDetail>();

function observeCached(obj: TopologyObject): ObservedTopology {
  let observed = observations.get(obj);
  if (!observed) observations.set(obj, (observed = observe(obj)));
  return observed;
}

export class KubeSource implements DashboardSource {
  private readonly listeners = new Set<Listener>();
  private readonly o: KubeSourceOptions;

  constructor(options: KubeSourceOptions) {
    this.o = options;
    options.onTopologyEvent((obj) => {
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      for (const l of this.listeners) l(key);
    });
  }

  async list() {
    return (this.o.cache.all() as TopologyObject[])
      .map((t) => toSummary(observeCached(t)))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  async get(namespace: string, name: string) {
    const obj = this.o.cache.get(namespace, name) as TopologyObject | undefined;
    if (!obj) return undefined;
    let detail = details.get(obj);
    if (!detail) details.set(obj, (detail = toDetail(observeCached(obj))));
    return detail;
  }

  async events(namespace: string, name: string): Promise<DashboardEvent[]> {
    const obj = this.o.cache.get(namespace, name) as TopologyObject | undefined;
    if (!obj) return [];
    const nodes = observeCached(obj).declared.map((n) => n.name);
    const list = await request<{ items?: KubeEvent[] }>(
      this.o.kc,
      "GET",
      resourcePath("v1", "Event", namespace),
      { query: { limit: "1000" } },
    );
    const out: DashboardEvent[] = [];
    for (const e of list.items ?? []) {
      const io = e.involvedObject ?? {};
      const own = io.kind === KIND && io.name === name;
      if (!own && !io.name?.startsWith(`${name}-`)) continue;
      const node = own ? nodeOfMessage(e.message ?? "", nodes) : nodeOfObject(name, io.name ?? "", nodes);
      if (!own && !node) continue;
      out.push({
        at:
          e.lastTimestamp ??
          e.eventTime ??
          e.firstTimestamp ??
          e.metadata?.creationTimestamp?.toString() ??
          "",
        type: e.type ?? "Normal",
        reason: e.reason ?? "",
        message: e.message ?? "",
        object: `${io.kind}/${io.name}`,
        ...(node ? { node } : {}),
        ...(e.count ? { count: e.count } : {}),
      });
    }
    return out.sort((a, b) => b.at.localeCompare(a.at)).slice(0, 200);
  }

  subscribe(onChange: Listener) {
    this.listeners.add(onChange);
    return () => void this.listeners.delete(onChange);
  }

  async close() {
    this.listeners.clear();
    await this.o.stop?.();
  }
}

/** The source inside the operator: its Topology cache and informer events, no extra API load. */
export function operatorKubeSource(kc: KubeConfig, watch: KindWatch): KubeSource {
  return new KubeSource({
    kc,
    cache: watch,
    onTopologyEvent: (cb) => watch.subscribe((_ev, obj) => cb(obj)),
  });
}

/** The source for `topo dashboard --source kube`: its own Topology watch over the given namespaces. */
export async function standaloneKubeSource(kc: KubeConfig, namespaces: string[]): Promise<KubeSource> {
  const subscribers: ((obj: KubernetesObject) => void)[] = [];
  const watch = new KindWatch({
    kc,
    spec: { kind: KIND, apiVersion: API_VERSION, plural: PLURAL },
    namespaces,
    watchdogMs: 600_000,
    onEvent: (_ev, obj) => subscribers.forEach((s) => s(obj)),
  });
  await watch.start();
  return new KubeSource({
    kc,
    cache: watch,
    onTopologyEvent: (cb) => subscribers.push(cb),
    stop: () => watch.stop(),
  });
}
