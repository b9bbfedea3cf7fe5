import { KubeConfig, type KubernetesObject } from "../kube/client.ts";
import { KubeSource } from "./kube-source.ts";

const topology = (image: string, resourceVersion: string): KubernetesObject & { spec: unknown } => ({
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { namespace: "lab", name: "mesh", resourceVersion },
  spec: {
    defaults: { image },
    generators: [{ prefix: "m", count: 4, shape: "mesh" }],
  },
});

/** A source over a cache that holds one object at a time, as an informer's does. */
function sourceOver(initial: KubernetesObject) {
  let cached = initial;
  const source = new KubeSource({
    kc: new KubeConfig(),
    cache: { all: () => [cached], get: (ns, name) => (ns === "lab" && name === "mesh" ? cached : undefined) },
    onTopologyEvent: () => undefined,
  });
  return { source, replace: (obj: KubernetesObject) => (cached = obj) };
}

describe("KubeSource", () => {
  it("observes a cached object once, and again once the cache holds its next version", async () => {
    const { source, replace } = sourceOver(topology("img:1", "1"));
    const first = await source.get("lab", "mesh");
    expect(first?.nodes.map((n) => n.name)).toEqual(["m-0", "m-1", "m-2", "m-3"]);
    expect(await source.get("lab", "mesh")).toBe(first);

    replace(topology("img:2", "2"));
    const next = await source.get("lab", "mesh");
    expect(next).not.toBe(first);
    expect(next?.nodes.every((n) => n.image === "img:2")).toBe(true);
    expect((await source.list())[0]).toMatchObject({ name: "mesh" });
  });

  it("answers nothing for a Topology the cache does not hold", async () => {
    const { source } = sourceOver(topology("img:1", "1"));
    expect(await source.get("lab", "other")).toBeUndefined();
    expect(await source.events("lab", "other")).toEqual([]);
  });
});
