// The YAML emitter: every value it writes reads back the same through the `yaml` package, under both
// YAML 1.2 and YAML 1.1 (what kubectl and docker-compose 1.29 read), and a render of every example is
// byte for byte what the `yaml` package writes, so `topo render`'s output did not change with it.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { ROOT } from "../../../test/unit/fixtures.ts";
import { renderKubernetes } from "../render/k8s/index.ts";
import { loadTopologies } from "./load.ts";
import { toYaml, toYamlDocuments } from "./yaml.ts";

const readBack = (text: string, version: "1.1" | "1.2") => parse(text, { version });

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

  it("writes each example's render as the yaml package does, and it reads back the same", async () => {
    const dir = join(ROOT, "examples");
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(dir, f));
    const ctx = { cwd: ROOT, env: {}, readStdin: async () => "" } as never;
    const { topologies } = await loadTopologies(files, ctx);
    expect(topologies.length).toBeGreaterThanOrEqual(files.length);
    const objects = topologies.flatMap((t) => renderKubernetes(t.topology));
    const text = toYamlDocuments(objects);
    expect(text).toBe(
      objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n"),
    );
    expect(parseAllDocuments(text).map((d) => d.toJS() as unknown)).toEqual(objects);
  });
});
