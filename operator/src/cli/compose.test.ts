import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { ROOT } from "../../../test/unit/fixtures.ts";
import { topo } from "../../../test/unit/topo.ts";

const dir = mkdtempSync(join(tmpdir(), "topo-compose-"));
const doc = (name: string, extra = "") =>
  `apiVersion: topo.dev/v1alpha1\nkind: Topology\nmetadata: { name: ${name} }\nspec: { nodes: [{ name: a, image: x${extra} }] }\n`;

describe("topo compose", () => {
  it("prints the example's compose file, the same as its golden file", async () => {
    const r = await topo(["compose", "examples/web-stack.yaml"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, "test/golden/web-stack.compose.yaml"), "utf8"));
    expect(r.stdout).toContain("${TOPO_SECRET_DB_SECRETS_PASSWORD}");
  });

  it("writes --out PATH and names the secret variables the file needs", async () => {
    const out = join(dir, "docker-compose.yml");
    const r = await topo(["compose", "examples/web-stack.yaml", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`wrote ${out}; it reads TOPO_SECRET_DB_SECRETS_PASSWORD`);
    expect(parse(readFileSync(out, "utf8")).services.db.image).toBe("postgres:16");
  });

  it("reads standard input for -", async () => {
    const r = await topo(["compose", "-"], doc("t"));
    expect(r.code).toBe(0);
    expect(parse(r.stdout).services.a.networks).toEqual({ n0: { aliases: ["t-a"] } });
  });

  it("prints one document per Topology of a multi-document file, and refuses --out for them", async () => {
    const path = join(dir, "multi.yaml");
    writeFileSync(
      path,
      `${doc("one")}---\napiVersion: v1\nkind: Secret\nmetadata: { name: s }\n---\n${doc("two")}`,
    );
    const r = await topo(["compose", path]);
    expect(r.code).toBe(0);
    expect(parseAllDocuments(r.stdout).map((d) => d.toJS()["x-topo"].topology)).toEqual(["one", "two"]);
    const refused = await topo(["compose", path, "--out", join(dir, "x.yml")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("holds 2 topologies (one, two)");
  });

  it("reports invalid files as FILE:LINE:COL and exits 1 without a stack trace", async () => {
    const r = await topo(["compose", "-"], doc("t", ", replica: 2"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^<stdin>:4:\d+: spec.nodes\[0\].replica: unknown field/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses secret keys that would share a variable, as a one-line error", async () => {
    const clash =
      "apiVersion: topo.dev/v1alpha1\nkind: Topology\nmetadata: { name: t }\nspec:\n  nodes:\n    - name: a\n      image: x\n      env:\n        - { name: A, secretRef: { name: db-secrets, key: password } }\n        - { name: B, secretRef: { name: db, key: secrets_password } }\n";
    const r = await topo(["compose", "-"], clash);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^topo: secret .* both become TOPO_SECRET_DB_SECRETS_PASSWORD/);
    expect(r.stderr).not.toContain("--debug");
  });

  it("exits 2 on usage errors and has --help", async () => {
    expect((await topo(["compose"])).code).toBe(2);
    const bogus = await topo(["compose", "examples/web-stack.yaml", "--bogus"]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("Usage: topo compose FILE [--out PATH]");
    const help = await topo(["compose", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: topo compose FILE [--out PATH]");
    expect((await topo(["--help"])).stdout).toMatch(/^ {2}compose +print a docker-compose.yml/m);
  });

  it("names a missing file without a stack trace", async () => {
    const r = await topo(["compose", "nope.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("topo: nope.yaml: no such file\n");
  });
});
