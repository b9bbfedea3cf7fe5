import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { topo } from "../../../test/unit/topo.ts";

const dir = mkdtempSync(join(tmpdir(), "topo-cli-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const BROKEN = `apiVersion: topo.dev/v1alpha1
kind: Topology
metadata:
  name: shop
spec:
  nodes:
    - name: db
      image: postgres:16
      replica: 2
    - name: api
      imag: api:1
`;

describe("topo validate", () => {
  it("accepts the examples and exits 0", async () => {
    const r = await topo(["validate", "examples/connector-lab.yaml", "examples/web-stack.yaml"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('topology "connector-lab" is valid (19 nodes)');
  });

  it("prints every error as FILE:LINE:COL: path: reason and exits 1", async () => {
    const path = file("broken.yaml", BROKEN);
    const r = await topo(["validate", path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${path}:9:7: spec.nodes[0].replica: unknown field "replica" (did you mean "replicas"?)`,
    );
    expect(r.stderr).toContain(
      `${path}:11:7: spec.nodes[1].imag: unknown field "imag" (did you mean "image"?)`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("reads standard input for -", async () => {
    const r = await topo(["validate", "-"], BROKEN);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("<stdin>:9:7: spec.nodes[0].replica");
  });

  it("checks every document of a multi-document file", async () => {
    const path = file(
      "multi.yaml",
      `${BROKEN}---\napiVersion: v1\nkind: Secret\nmetadata: { name: s }\n---\n${BROKEN.replace("name: shop", "name: shop2").replace("replica: 2", "replicas: -1")}`,
    );
    const r = await topo(["validate", path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:9:7: spec.nodes[0].replica:`);
    expect(r.stderr).toMatch(new RegExp(`${path}:2\\d:7: spec.nodes\\[0\\].replicas: must be at least 0`));
  });

  it("reports YAML syntax errors with their position", async () => {
    const r = await topo(["validate", file("syntax.yaml", "spec: [\n  nodes: {")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/syntax\.yaml:\d+:\d+: YAML: /);
  });

  it("names a missing file without a stack trace", async () => {
    const r = await topo(["validate", "nope.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("topo: nope.yaml: no such file\n");
  });
});

describe("usage", () => {
  it("exits 2 on an unknown command or option, with the usage line", async () => {
    expect((await topo(["frobnicate"])).code).toBe(2);
    const r = await topo(["render", "examples/web-stack.yaml", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: topo render FILE");
  });

  it("exits 2 on an unknown output format", async () => {
    expect((await topo(["render", "examples/web-stack.yaml", "-o", "xml"])).code).toBe(2);
  });

  it("has --help on every command and --version", async () => {
    for (const cmd of ["validate", "render", "graph"]) {
      const r = await topo([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: topo ${cmd}`);
    }
    expect((await topo(["--version"])).stdout).toMatch(/^topo \d+\.\d+\.\d+/);
  });
});

describe("topo render and graph", () => {
  it("renders YAML documents and a JSON List", async () => {
    const yaml = await topo(["render", "examples/web-stack.yaml"]);
    expect(yaml.code).toBe(0);
    const kinds = parseAllDocuments(yaml.stdout).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(
      expect.arrayContaining(["Deployment", "Service", "PersistentVolumeClaim", "NetworkPolicy"]),
    );
    const json = JSON.parse(
      (await topo(["render", "examples/web-stack.yaml", "-o", "json", "-n", "prod"])).stdout,
    );
    expect(json.kind).toBe("List");
    expect(json.items).toHaveLength(kinds.length);
    expect(
      json.items.every((o: { metadata: { namespace: string } }) => o.metadata.namespace === "prod"),
    ).toBe(true);
  });

  it("renders from stdin", async () => {
    const r = await topo(
      ["render", "-"],
      "apiVersion: topo.dev/v1alpha1\nkind: Topology\nmetadata: { name: t }\nspec: { nodes: [{ name: a, image: x }] }\n",
    );
    expect(r.code).toBe(0);
    expect(parse(r.stdout.split("---\n")[0]!).metadata.name).toBe("t-a");
  });

  it("prints the expanded graph with generated nodes", async () => {
    const g = JSON.parse((await topo(["graph", "examples/connector-lab.yaml"])).stdout);
    expect(g.nodes).toHaveLength(19);
    expect(g.layers[0]).toEqual(["store", "dashboard"]);
    expect(g.layers[1]).toHaveLength(17);
    expect((await topo(["graph", "examples/connector-lab.yaml", "-o", "dot"])).stdout).toMatch(
      /^digraph "connector-lab"/,
    );
  });
});
