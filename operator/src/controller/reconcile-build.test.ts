// reconcile() never builds: a node with build is InvalidSpec (one Event, nothing applied), and the same
// node with the image `topo render --images-from-build` pinned is reconciled like any other.
import { fakeCluster } from "./fake-deps.ts";
import { reconcile } from "./reconcile.ts";

const spec = (api: Record<string, unknown>) => ({
  nodes: [
    { name: "db", image: "postgres:16", ports: [{ name: "pg", port: 5432 }] },
    { name: "api", ports: [{ name: "http", port: 8080 }], connectsTo: ["db"], ...api },
  ],
});

const cases = [
  {
    name: "marks a node with build and no image InvalidSpec, saying to run topo build, and applies nothing",
    api: { build: { context: "./api" } },
  },
  {
    name: "marks a node with build and its repository InvalidSpec: the operator cannot know the content tag",
    api: { build: { context: "./api" }, image: "registry.example/api" },
  },
];

describe("reconcile with build", () => {
  it.each(cases)("$name", async ({ api }) => {
    const c = fakeCluster(spec(api));
    await reconcile(c.deps, "default", "shop");
    await reconcile(c.deps, "default", "shop");
    const status = c.topology().status!;
    expect(status.phase).toBe("Invalid");
    expect(status.conditions!.find((x) => x.type === "InvalidSpec")).toMatchObject({
      status: "True",
      message: expect.stringMatching(
        /^spec\.nodes\[1\]\.build: node "api" is built from source \(build\.context \.\/api\) .* run `topo build FILE --push` \(or --load\)/,
      ),
    });
    expect(c.events).toEqual([expect.objectContaining({ type: "Warning", reason: "InvalidSpec" })]);
    expect(c.applied).toEqual([]);
  });

  it("reconciles the pinned image topo render --images-from-build writes", async () => {
    const c = fakeCluster(spec({ image: "registry.example/api@sha256:" + "a".repeat(64) }));
    await reconcile(c.deps, "default", "shop");
    expect(c.topology().status!.phase).not.toBe("Invalid");
    const deployment = c.applied.find((o) => o.kind === "Deployment" && o.metadata.name === "shop-api");
    expect(
      (deployment!.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
        .containers[0]!.image,
    ).toBe(`registry.example/api@sha256:${"a".repeat(64)}`);
  });
});
