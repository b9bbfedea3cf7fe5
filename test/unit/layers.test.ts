// The import-direction rule of eslint.config.js, run through ESLint itself on imports placed in each
// folder: every upward import is refused and every permitted one passes, so `npm test`'s lint holds the
// house to its layout (docs/development.md, "Layout").
import { join } from "node:path";
import { ESLint } from "eslint";

const ROOT = join(import.meta.dirname, "..", "..");
const eslint = new ESLint({ cwd: ROOT });

/** The rule ids ESLint reports for `import` placed in the file `at` (a path under operator/src). */
async function lint(at: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import * as m from "${specifier}";\nexport default m;\n`, {
    filePath: join(ROOT, "operator/src", at),
  });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe("the import-direction rule", () => {
  it.each([
    ["kube/x.ts", "../controller/manager.ts"],
    ["kube/x.ts", "../api/constants.ts"],
    ["api/x.ts", "../render/k8s/index.ts"],
    ["graph/x.ts", "../render/compose/index.ts"],
    ["render/k8s/x.ts", "../../cli/main.ts"],
    ["render/compose/x.ts", "../../config.ts"],
    ["local/x.ts", "../cli/command.ts"],
    ["local/x.ts", "../controller/reconcile.ts"],
    ["controller/x.ts", "../dashboard/server.ts"],
    ["controller/x.ts", "../plan/plan.ts"],
    ["plan/x.ts", "../cli/main.ts"],
    ["dashboard/x.ts", "../controller/manager.ts"],
    ["server/x.ts", "../cli/main.ts"],
    ["errors.ts", "./api/constants.ts"],
    ["config.ts", "./kube/rest.ts"],
  ])("refuses an import in %s of %s", async (at, specifier) => {
    expect(await lint(at, specifier)).toContain("no-restricted-imports");
  });

  it.each([
    ["graph/x.ts", "../api/schema.ts"],
    ["render/k8s/x.ts", "../../api/constants.ts"],
    ["render/compose/x.ts", "../k8s/index.ts"],
    ["kube/x.ts", "./rest.ts"],
    ["controller/x.ts", "../kube/rest.ts"],
    ["controller/x.ts", "../render/k8s/index.ts"],
    ["local/x.ts", "../errors.ts"],
    ["dashboard/x.ts", "../local/state.ts"],
    ["plan/x.ts", "../controller/compare.ts"],
    ["plan/x.ts", "../local/runtime.ts"],
    ["dashboard/x.ts", "../plan/plan.ts"],
    ["cli/x.ts", "../controller/manager.ts"],
    ["config.ts", "./errors.ts"],
  ])("lets %s import %s", async (at, specifier) => {
    expect(await lint(at, specifier)).not.toContain("no-restricted-imports");
  });

  it("keeps the pure core away from I/O", async () => {
    expect(await lint("render/k8s/x.ts", "node:fs")).toContain("no-restricted-imports");
    expect(await lint("api/x.ts", "@kubernetes/client-node")).toContain("no-restricted-imports");
  });
});
