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

/** A YAML alias bomb: each level repeats the one before ten times (10^12 strings if expanded). */
function aliasBomb(): string {
  const lines = [
    "apiVersion: topo.dev/v1alpha1",
    "kind: Topology",
    "metadata: { name: t }",
    'l0: &l0 ["x", "x"]',
  ];
  for (let i = 1; i <= 12; i++)
    lines.push(
      `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(", ")}]`,
    );
  return `${lines.join("\n")}\nspec: { nodes: [{ name: a, image: x }] }\n`;
}

const TOPOLOGY_HEAD = "apiVersion: topo.dev/v1alpha1\nkind: Topology\nmetadata: { name: t }\n";
const MALFORMED: [string, string | Buffer, RegExp][] = [
  ["an alias bomb", aliasBomb(), /:5:\d+: YAML: Excessive alias count/],
  [
    "a binary file",
    Buffer.from(Array.from({ length: 2048 }, (_, i) => i % 256)),
    /:1:1: must be a mapping, not string/,
  ],
  ["5,000-deep nesting", `spec: ${"[".repeat(5000)}${"]".repeat(5000)}\n`, /:1:\d+: YAML: /],
  [
    "20,000 nodes",
    `${TOPOLOGY_HEAD}spec:\n  nodes:\n${Array.from({ length: 20_000 }, (_, i) => `    - { name: n${i}, image: x }`).join("\n")}\n`,
    /:5:3: spec.nodes: must be at most 250 items/,
  ],
  ["a wrong type", `${TOPOLOGY_HEAD}spec: { nodes: 5 }\n`, /:4:9: spec.nodes: must be a list, not number 5/],
  [
    "a duplicate key",
    `${TOPOLOGY_HEAD}kind: Topology\nspec: { nodes: [] }\n`,
    /:4:1: YAML: Map keys must be unique/,
  ],
];

describe("malformed files", () => {
  it.each(MALFORMED)("refuses %s with FILE:LINE:COL on every line", async (what, content, expected) => {
    const path = join(dir, `${what.replace(/\W+/g, "-")}.yaml`);
    writeFileSync(path, content);
    const r = await topo(["validate", path]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^\d+ errors?$/);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(new RegExp(`^${path}:\\d+:\\d+: `));
    expect(lines[0]).toMatch(expected);
    expect(r.stderr).not.toMatch(/^topo: /m);
  });

  it("names the file when render refuses an alias bomb", async () => {
    const r = await topo(["render", "-"], aliasBomb());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^<stdin>:5:\d+: YAML: Excessive alias count/);
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
