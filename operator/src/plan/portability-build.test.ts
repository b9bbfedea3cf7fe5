import { parseTopology } from "../api/parse.ts";
import { portabilityOf } from "./portability.ts";

describe("portability of build", () => {
  it("says Compose builds it and a cluster runs what topo build made, in place of the image", () => {
    const r = parseTopology({
      apiVersion: "topo.dev/v1alpha1",
      kind: "Topology",
      metadata: { name: "lab" },
      spec: { nodes: [{ name: "api", build: { context: "./api" } }] },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const items = portabilityOf(r.topology).filter((i) => i.node === "api");
    expect(items.map((i) => i.field)).toEqual(["build"]);
    expect(items[0]).toMatchObject({
      path: ["spec", "nodes", 0, "build"],
      compose: { carry: "exact" },
      kube: {
        carry: "approximate",
        how: expect.stringContaining("the operator never builds: `topo build FILE --push`"),
      },
    });
  });
});
