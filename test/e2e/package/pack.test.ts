// The package as a user gets it: `npm pack` (which builds first), the tarball installed into an empty
// prefix, and its `topo` run from there: --version, validate, compose, and dashboard serving the built page.
// On a Node.js older than 24 every command prints one line and exits 1.
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { ROOT, waitFor } from "../operator/harness.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "topo-pack-"));
const prefix = join(dir, "prefix");
const installed = join(prefix, "node_modules", "topo");
const bin = join(prefix, "node_modules", ".bin", "topo");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
};
// `topo`'s shebang is `/usr/bin/env node`: the Node 24 running this test comes first on PATH.
const { KUBECONFIG: _kubeconfig, ...inherited } = process.env;
const env = { ...inherited, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` };

function topo(args: string[]) {
  return run(bin, args, { cwd: ROOT, env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

const major = (node: string) =>
  Number(execFileSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).split(".")[0]);

/**
 * A Node.js older than 24: the system's (hack/node.sh needs one to bootstrap Node 24), else node@20 from
 * the npm registry, installed into the cache as hack/node.sh installs Node 24.
 */
function oldNode(): string {
  const onPath = (process.env.PATH ?? "").split(delimiter).map((d) => join(d, "node"));
  for (const node of [...onPath, "/usr/bin/node"]) if (existsSync(node) && major(node) < 24) return node;
  const cache = join(process.env.TOPO_CACHE ?? join(homedir(), ".cache", "topo"), "node-20");
  const node = join(cache, "node_modules", "node", "bin", "node");
  if (!existsSync(node))
    execFileSync("npm", ["install", "--no-save", "--no-package-lock", "--prefix", cache, "node@20"], {
      stdio: "inherit",
    });
  return node;
}

let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  const out = await run("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: ROOT,
    maxBuffer: 64 << 20,
  });
  packed = (JSON.parse(out.stdout) as (typeof packed)[])[0]!;
  await run(
    "npm",
    [
      "install",
      "--prefix",
      prefix,
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      join(dir, packed.filename),
    ],
    { cwd: dir },
  );
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the packed topo package", () => {
  it("holds the bundled program, the built dashboard, the CRD and package.json, and no tests", () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "dist/cli/topo.js",
        "dist/operator/src/dashboard/web/dist/index.html",
        "crds/topo.dev_topologies.yaml",
      ]),
    );
    expect(files.filter((f) => /\.test\.|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
    // The executable is the bundle (hack/build-cli.ts): tsc's module-per-file output is not shipped.
    expect(files.filter((f) => f.startsWith("dist/operator/src/") && !f.includes("/web/dist/"))).toEqual([]);
  });

  it("prints its version", async () => {
    expect(await topo(["--version"])).toEqual({ code: 0, stdout: `topo ${pkg.version}\n`, stderr: "" });
  });

  it("validates a file and prints its compose file", async () => {
    const valid = await topo(["validate", "-q", "examples/web-stack.yaml"]);
    expect(valid).toMatchObject({ code: 0, stderr: "" });
    expect(valid.stdout).toContain('topology "web-stack" is valid (5 nodes)');
    const compose = await topo(["compose", "examples/web-stack.yaml"]);
    expect(compose.code).toBe(0);
    expect(compose.stdout).toBe(readFileSync(join(ROOT, "test/golden/web-stack.compose.yaml"), "utf8"));
    expect(parse(compose.stdout).services.db.image).toBe("postgres:16");
  });

  it("links every command's chunk of the bundle: each one's --help, and a render", async () => {
    const { commands } = await import("../../../operator/src/cli/commands.ts");
    const helps = await Promise.all(commands.map((c) => topo([c.name, "--help"])));
    expect(helps.map((h, i) => [commands[i]!.name, h.code, h.stderr])).toEqual(
      commands.map((c) => [c.name, 0, ""]),
    );
    helps.forEach((h, i) => expect(h.stdout).toContain(commands[i]!.summary));
    const render = await topo(["render", "examples/connector-lab.yaml"]);
    expect(render).toMatchObject({ code: 0, stderr: "" });
    expect(parse(render.stdout.split("\n---\n")[0]!)).toMatchObject({ apiVersion: expect.any(String) });
  });

  it("serves the dashboard's built page, not the 'not built' one", async () => {
    const child = spawn(bin, ["dashboard", "--source", "compose", "--port", "0"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise((r) => child.once("exit", r));
    try {
      const url = await waitFor(
        "topo dashboard to print its address",
        async () => /on (http:\/\/\S+\/)/.exec(err)?.[1],
      );
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(
        readFileSync(join(installed, "dist/operator/src/dashboard/web/dist/index.html"), "utf8"),
      );
      expect(err).not.toContain("not built");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("says in one line that it needs Node.js 24 on an older Node, for every command, and exits 1", async () => {
    const node = oldNode();
    const version = execFileSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
    expect(pkg.engines.node).toBe(">=24");
    for (const args of [["--version"], ["validate", "examples/web-stack.yaml"], ["dashboard"], []]) {
      const r = await run(node, [join(installed, "dist/cli/topo.js"), ...args], {
        cwd: ROOT,
      }).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({
        args,
        code: 1,
        stderr: `topo needs Node.js 24 or newer; this is ${version}\n`,
      });
    }
  });
});
