// The YAML emitter (render/yaml.ts): every value it writes reads back the same through the `yaml` package, under both
// YAML 1.2 and YAML 1.1 (what kubectl and docker-compose 1.29 read), and a render of every example is
// byte for byte what the `yaml` package writes, so `topo render`'s output did not change with it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Document, parse, parseAllDocuments, stringify, visit } from "yaml";
import { ROOT } from "../../../test/unit/fixtures.ts";
import { parseTopology } from "../api/parse.ts";
import { readDocuments } from "../api/source.ts";
import type { Topology } from "../api/topology.ts";
import { renderKubernetes } from "./k8s/index.ts";
import { toYaml, toYamlDocuments } from "./yaml.ts";

const readBack = (text: string, version: "1.1" | "1.2") => parse(text, { version });

/**
 * The `yaml` package's text for `value`, with YAML 1.1's booleans double-quoted, as render/compose wrote it
 * before this emitter: the package writes `on` plain, which kubectl (YAML 1.1) reads as true.
 */
function yamlPackage(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (
        typeof node.value === "string" &&
        /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/.test(node.value)
      )
        node.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ lineWidth: 0 });
}

const STRINGS = [
  "",
  " ",
  "plain",
  "two words",
  " leading",
  "trailing ",
  "null",
  "Null",
  "~",
  "true",
  "False",
  "yes",
  "No",
  "on",
  "OFF",
  "y",
  "n",
  "8080",
  "-1",
  "+1",
  "0x1F",
  "0o17",
  "017",
  "0b101",
  "1_000",
  "1.5",
  ".5",
  "1e3",
  "1.0e+3",
  "-.inf",
  ".NaN",
  "1:20",
  "190:20:30.15",
  "2001-12-14",
  "2001-12-14t21:59:43.10-05:00",
  "1.4.0",
  "1Gi",
  "500m",
  "-U",
  "--noinput",
  "-",
  "- item",
  "a: b",
  "key:",
  ":x",
  "a #comment",
  "#comment",
  "a#b",
  "[x]",
  "{x}",
  "x, y",
  "*alias",
  "&anchor",
  "!tag",
  "%directive",
  "@at",
  "`tick",
  "'single'",
  '"double"',
  "?",
  "? x",
  "|",
  ">",
  "<<",
  "=",
  "${VAR}",
  "$(cmd)",
  "http://example.com:8080/path?q=1&r=2",
  "bench-mesh-0:8080,bench-mesh-1:8080",
  "tab\there",
  "line\nbreak",
  "line\nbreak\n",
  "line\nbreak\n\n",
  "\nleading newline",
  "  indented\nsecond",
  "trailing spaces \nsecond  ",
  "crlf\r\nline",
  "nel\u0085here",
  "sep\u2028here",
  "para\u2029here",
  "bom\ufeff",
  "del\u007f",
  "nul\u0000",
  "bell\u0007",
  "é unicode ✓ 日本",
  "emoji 🎉",
  "back\\slash",
  "---",
  "...",
];

/** Every shape, a task, a volume and files with multi-line content: what the examples may not cover. */
const SHAPES = {
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { name: "shapes" },
  spec: {
    defaults: { image: "registry.example/connector:1.4.0", ports: [{ name: "http", port: 8080 }] },
    nodes: [
      {
        name: "store",
        volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }],
        files: [{ path: "/etc/store.conf", content: "# store\nport: 8080\n\n  indented: yes\n" }],
        env: [{ name: "MODE", value: "on" }],
      },
      { name: "migrate", command: ["migrate", "--to", "latest"], task: { retries: 2 }, dependsOn: ["store"] },
    ],
    generators: ["linear", "ring", "star", "mesh"].map((shape) => ({
      prefix: shape,
      count: 5,
      shape,
      template: { dependsOn: ["store"] },
    })),
  },
};

describe("toYaml", () => {
  it.each(STRINGS.map((s) => [s]))("writes %j so that YAML 1.1 and 1.2 read it back as that string", (s) => {
    const value = { key: s, list: [s, { inner: s }], [s === "" ? "empty" : s]: [s] };
    const text = toYaml(value);
    expect(readBack(text, "1.2")).toEqual(value);
    expect(readBack(text, "1.1")).toEqual(value);
  });

  it("writes numbers, booleans, null, empty and nested collections, and leaves undefined out", () => {
    const value = {
      int: 8080,
      negative: -3,
      float: 0.25,
      big: 1e21,
      truth: true,
      lie: false,
      nothing: null,
      skipped: undefined,
      emptyList: [],
      emptyMap: {},
      nested: [[1, [2, 3]], [], {}, [{}], { a: [] }, null],
      deep: { a: { b: { c: ["d"] } } },
    };
    const text = toYaml(value);
    const { skipped: _skipped, ...expected } = value;
    expect(readBack(text, "1.2")).toEqual(expected);
    expect(readBack(text, "1.1")).toEqual(expected);
    expect(text).not.toContain("skipped");
    // Layout as the `yaml` package writes it.
    expect(text).toBe(stringify(expected, { lineWidth: 0 }));
  });

  it("writes a multi-line string as a block literal with the chomping its trailing newlines need", () => {
    expect(toYaml({ a: "x\ny" })).toBe("a: |-\n  x\n  y\n");
    expect(toYaml({ a: "x\ny\n" })).toBe("a: |\n  x\n  y\n");
    expect(readBack(toYaml({ a: "x\n\ny\n\n\n" }), "1.2")).toEqual({ a: "x\n\ny\n\n\n" });
    expect(toYaml({ a: "\tx\ny" })).toBe('a: "\\tx\\ny"\n');
  });

  it("refuses what JSON cannot hold", () => {
    expect(() => toYaml({ a: 1n })).toThrow("cannot write a bigint as YAML");
  });

  it("writes each example's render as the yaml package does (1.1 booleans quoted); it reads back the same", () => {
    const dir = join(ROOT, "examples");
    const topologies: Topology[] = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .flatMap((f) => readDocuments(readFileSync(join(dir, f), "utf8")).documents)
      .map((d) => d.value)
      .concat([SHAPES])
      .flatMap((value) => {
        const r = parseTopology(value);
        return r.ok ? [r.topology] : [];
      });
    expect(topologies.length).toBe(3);
    const objects = topologies.flatMap((t) => renderKubernetes(t));
    const text = toYamlDocuments(objects);
    expect(text).toBe(objects.map(yamlPackage).join("---\n"));
    expect(text).toContain('value: "on"');
    expect(parseAllDocuments(text).map((d) => d.toJS() as unknown)).toEqual(objects);
  });
});
