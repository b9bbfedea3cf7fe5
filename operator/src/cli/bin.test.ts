// The `topo` executable as a process: what only a process shows (exit status, real stdin, no stack trace).
// Everything else about the commands is tested in-process through main(argv, ctx).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../../test/unit/fixtures.ts";

function bin(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], {
    input,
    encoding: "utf8",
    cwd: ROOT,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the topo executable", () => {
  it("exits with main's status: 0 valid, 1 invalid from real standard input, 2 usage", () => {
    expect(bin(["validate", "examples/web-stack.yaml"]).code).toBe(0);
    const invalid = bin(
      ["validate", "-"],
      "apiVersion: topo.dev/v1alpha1\nkind: Topology\nmetadata: { name: t }\nspec: { nodes: [{ name: a, imag: x }] }\n",
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('<stdin>:4:28: spec.nodes[0].imag: unknown field "imag"');
    expect(invalid.stderr).not.toMatch(/\n\s+at /);
    const usage = bin(["frobnicate"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('topo: unknown command "frobnicate"');
  });
});
