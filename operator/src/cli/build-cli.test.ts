// The offline parts of building from source: topo compose writes Compose's build section (its context
// relative to the compose file), plain topo render refuses build as the operator does, and
// --topology needs --images-from-build.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { topo } from "../../../test/unit/topo.ts";

const dir = mkdtempSync(join(tmpdir(), "topo-build-cli-"));
const file = join(dir, "lab.yaml");
writeFileSync(
  file,
  [
    "apiVersion: topo.dev/v1alpha1",
    "kind: Topology",
    "metadata: { name: lab }",
    "spec:",
    "  nodes:",
    '    - { name: api, build: { context: ./api, args: { V: "1" }, target: run } }',
    "",
  ].join("\n"),
);

describe("build on the command line", () => {
  it("topo compose writes the build section, its context relative to the compose file", async () => {
    mkdirSync(join(dir, "out"));
    const out = join(dir, "out", "docker-compose.yml");
    const r = await topo(["compose", file, "--out", out]);
    expect(r.code).toBe(0);
    expect(parse(readFileSync(out, "utf8")).services.api).toMatchObject({
      image: "topo.local/lab-api",
      build: { context: "../api", dockerfile: "Dockerfile", args: { V: "1" }, target: "run" },
    });
  });

  it("topo render refuses a node with build, where it is written, and says to run topo build", async () => {
    const r = await topo(["render", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:6:20: spec.nodes[0].build: node "api" is built from source`);
    expect(r.stderr).toContain("run `topo build FILE --push` (or --load)");
  });

  it("takes --topology only with --images-from-build", async () => {
    const r = await topo(["render", file, "--topology"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--topology needs --images-from-build");
  });
});
