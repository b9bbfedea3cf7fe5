import { parseTopology } from "./parse.ts";
import { checkClusterImages } from "./rules.ts";
import { formatPath } from "./topology.ts";

const topology = (spec: Record<string, unknown>) => ({
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { name: "lab" },
  spec,
});

const errorsOf = (spec: Record<string, unknown>) => {
  const r = parseTopology(topology(spec));
  return r.ok ? [] : r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
};

describe("build", () => {
  it("makes image optional and fills the dockerfile and args defaults", () => {
    const r = parseTopology(topology({ nodes: [{ name: "api", build: { context: "./api" } }] }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.topology.nodes[0]).toMatchObject({
      image: "",
      build: { context: "./api", dockerfile: "Dockerfile", args: {} },
    });
  });

  it("comes from spec.defaults and generator templates, one build shared by every generated node", () => {
    const build = {
      context: "./conn",
      dockerfile: "Containerfile",
      args: { VERSION: "1.4" },
      target: "runtime",
    };
    const r = parseTopology(
      topology({
        defaults: { build: { context: "./default" } },
        nodes: [{ name: "api" }],
        generators: [{ prefix: "conn", count: 2, shape: "linear", template: { build } }],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.topology.nodes.map((n) => n.build)).toEqual([
      { context: "./default", dockerfile: "Dockerfile", args: {} },
      build,
      build,
    ]);
  });

  it("still requires an image or a build", () => {
    expect(errorsOf({ nodes: [{ name: "api" }] })).toEqual([
      expect.stringContaining('node "api" has no image: set image (or build)'),
    ]);
  });

  it("takes image as the repository only: a tag or digest is refused, a registry port is not a tag", () => {
    expect(
      errorsOf({ nodes: [{ name: "api", image: "registry.example/api:1.4", build: { context: "." } }] }),
    ).toEqual([
      "spec.nodes[0].image: with build, image names the repository only (registry.example/api): the tag is the hash of the build inputs",
    ]);
    expect(
      errorsOf({ nodes: [{ name: "api", image: "localhost:5000/api", build: { context: "." } }] }),
    ).toEqual([]);
  });

  it("refuses a build argument that is not a name, and a non-string value", () => {
    expect(errorsOf({ nodes: [{ name: "api", build: { context: ".", args: { "1X": "a" } } }] })).toEqual([
      expect.stringContaining('build argument "1X" must be a name'),
    ]);
    expect(errorsOf({ nodes: [{ name: "api", build: { context: ".", args: { V: 1 } } }] })).toEqual([
      expect.stringContaining("must be a string"),
    ]);
  });

  it("is what a cluster cannot run: the message says to run topo build", () => {
    const r = parseTopology(
      topology({
        nodes: [
          { name: "db", image: "postgres:16" },
          { name: "api", image: "registry.example/api", build: { context: "./api" } },
        ],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const issues = checkClusterImages(r.topology.nodes);
    expect(issues.map((i) => formatPath(i.path))).toEqual(["spec.nodes[1].build"]);
    expect(issues[0]!.message).toMatch(
      /node "api" is built from source .* run `topo build FILE --push` \(or --load\)/,
    );
  });
});
