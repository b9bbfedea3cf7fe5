// `topo validate --portability` on both examples, against golden files: what each target carries of them.
import { EXAMPLES } from "./fixtures.ts";
import { expectGolden } from "./golden.ts";
import { topo } from "./topo.ts";

describe("topo validate --portability", () => {
  it.each(EXAMPLES)("reports what Kubernetes and Compose carry of examples/%s.yaml", async (name) => {
    const run = await topo(["validate", "-q", "--portability", `examples/${name}.yaml`]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expectGolden(`${name}.portability.txt`, run.stdout);
  });

  it("fails with --strict when a field is approximated, and passes a topology both carry exactly", async () => {
    const strict = await topo(["validate", "--portability", "--strict", "examples/web-stack.yaml"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/--strict: 21 fields are not carried exactly by both targets/);
    const exact = [
      "apiVersion: topo.dev/v1alpha1",
      "kind: Topology",
      "metadata: { name: plain }",
      "spec:",
      "  isolation: none",
      "  nodes: [{ name: a, image: app:1, ports: [{ name: http, port: 80 }] }]",
    ].join("\n");
    const ok = await topo(["validate", "--portability", "--strict", "-"], exact);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("exact on both targets: node a: image, ports[0]");
  });

  it("takes --strict only with --portability", async () => {
    const run = await topo(["validate", "--strict", "examples/web-stack.yaml"]);
    expect(run.code).toBe(2);
  });
});
