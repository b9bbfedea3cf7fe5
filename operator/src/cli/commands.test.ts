// The command registry: each command's module loads only when it runs, so an offline command never links
// the Kubernetes client, express or pino. The executable runs with a resolve hook that writes down every
// module URL it resolves; the operator command, which uses all three, shows the hook sees them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../../test/unit/fixtures.ts";
import { commands } from "./commands.ts";

const RECORDER = [
  'import { registerHooks } from "node:module";',
  'import { writeFileSync } from "node:fs";',
  "const urls = new Set();",
  "registerHooks({ resolve(s, c, next) { const r = next(s, c); urls.add(r.url); return r; } });",
  'process.on("exit", () => writeFileSync(process.env.TOPO_TEST_MODULES, [...urls].join("\\n")));',
].join("\n");

/** The modules `topo ARGS` resolved, and its exit code. */
function modulesOf(args: string[]): { code: number | null; urls: string[] } {
  const out = join(mkdtempSync(join(tmpdir(), "topo-modules-")), "modules.txt");
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      `data:text/javascript,${encodeURIComponent(RECORDER)}`,
      join(ROOT, "operator/src/cli/bin.ts"),
      ...args,
    ],
    { cwd: ROOT, env: { ...process.env, TOPO_TEST_MODULES: out }, stdio: "ignore" },
  );
  return { code: r.status, urls: readFileSync(out, "utf8").split("\n") };
}

const packagesOf = (urls: string[]) =>
  new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
const ONLINE = ["@kubernetes/client-node", "express", "pino"];

describe("the command registry", () => {
  it("lists each command with its own module's name and summary", async () => {
    for (const entry of commands) {
      const cmd = await entry.load();
      expect({ name: cmd.name, summary: cmd.summary }).toEqual({ name: entry.name, summary: entry.summary });
    }
  });

  it("topo --version loads no package at all", () => {
    const { code, urls } = modulesOf(["--version"]);
    expect(code).toBe(0);
    expect(urls.some((u) => u.endsWith("/cli/main.ts"))).toBe(true);
    expect([...packagesOf(urls)]).toEqual([]);
  });

  it.each([
    [["validate", "examples/web-stack.yaml"]],
    [["compose", "examples/web-stack.yaml"]],
    [["render", "examples/web-stack.yaml"]],
    [["graph", "examples/web-stack.yaml"]],
  ])("topo %p loads no Kubernetes client, express or pino", (args) => {
    const { code, urls } = modulesOf(args);
    expect(code).toBe(0);
    expect(packagesOf(urls)).toContain("yaml");
    for (const pkg of ONLINE) expect(packagesOf(urls)).not.toContain(pkg);
  });

  it("loads them for the operator, which uses them (so the recorder sees them)", () => {
    const { code, urls } = modulesOf(["operator", "--help"]);
    expect(code).toBe(0);
    for (const pkg of ONLINE) expect(packagesOf(urls)).toContain(pkg);
  });
});
