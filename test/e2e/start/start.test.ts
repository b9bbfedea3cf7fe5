// The two commands a new user runs. `npm start` in a copy of the working tree that has never been built
// (no dashboard front end, as after `git clone`): it builds what is missing, runs the operator with the
// example, and the dashboard page draws it. `npm test` brings up what the suite needs with the same scripts
// and flags as .ci/run, so it works on its own; hack/deps.sh and hack/web.sh do nothing when current.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TopologySummary } from "../../../operator/src/dashboard/types.ts";
import { launch, drawn, openPage } from "../dashboard/browser.ts";
import { createNamespace, freePort, ROOT, waitFor } from "../operator/harness.ts";

/**
 * What a clone of the working tree holds (its files that git does not ignore, timestamps kept), with
 * node_modules as hard links so nothing is downloaded: no build output of any kind.
 */
function copyOfWorkingTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "topo-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && spawnSync("test", ["-e", join(ROOT, f)]).status === 0);
  execFileSync("cp", ["--parents", "-p", "-t", dir, ...files], { cwd: ROOT });
  execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(dir, "node_modules")]);
  return dir;
}

const script = (dir: string, name: string, ...args: string[]) =>
  spawnSync(join(dir, "hack", name), args, { cwd: dir, encoding: "utf8" });

describe("npm start", () => {
  let dir: string;
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  beforeAll(async () => {
    dir = copyOfWorkingTree();
    ns = await createNamespace("topo-start");
  });
  afterAll(async () => {
    await ns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("on a tree never built: builds the front end, runs the operator and the example, and the page draws it", async () => {
    expect(script(dir, "web.sh", "--check").status).toBe(1);
    const dashPort = await freePort();
    const httpPort = await freePort();
    let out = "";
    const child = spawn(join(dir, "hack", "start.sh"), [], {
      cwd: dir,
      detached: true, // its own process group: the operator and the shell that applies the example
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        TOPO_START_NAMESPACE: ns.name,
        TOPO_NAMESPACES: ns.name,
        TOPO_LEADER_ELECT: "false",
        TOPO_HTTP_PORT: String(httpPort),
        TOPO_DASHBOARD_PORT: String(dashPort),
      },
    });
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once("exit", r));
    const browser = await launch();
    try {
      const url = `http://127.0.0.1:${dashPort}`;
      const page = await waitFor(
        "the dashboard page",
        async () => {
          if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}\n${out}`);
          const r = await fetch(`${url}/`).catch(() => undefined);
          return r?.status === 200 ? r.text() : undefined;
        },
        300_000,
      );
      expect(out).toContain("[web] building the dashboard front end");
      expect(page).toBe(readFileSync(join(dir, "operator/src/dashboard/web/dist/index.html"), "utf8"));
      expect(script(dir, "web.sh", "--check").status).toBe(0);

      await waitFor("the example in the dashboard API", async () => {
        const list = (await (await fetch(`${url}/api/topologies`)).json()) as TopologySummary[];
        return list.some((t) => t.namespace === ns.name && t.name === "connector-lab");
      });
      const tab = await openPage(browser);
      await tab.goto(`${url}/#/${ns.name}/connector-lab`);
      const graph = await waitFor("the connector-lab graph", async () => {
        const d = await drawn(tab);
        return d.nodes.length === 19 ? d : undefined;
      });
      expect(graph.nodes.map((n) => n.id)).toEqual(
        expect.arrayContaining(["store", "dashboard", "linear-0", "ring-0"]),
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- npm start output ---\n${out.slice(-4000)}`);
    } finally {
      await browser.close();
      if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
  }, 600_000);

  it("hack/deps.sh installs only when node_modules is missing or older than package-lock.json", () => {
    expect(script(dir, "deps.sh", "--check").status).toBe(0);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "package-lock.json"), later, later);
    expect(script(dir, "deps.sh", "--check").status).toBe(1);
  });
});

describe("npm test", () => {
  const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
  const test = readFileSync(join(ROOT, "hack/test.sh"), "utf8");
  const commands = (text: string) =>
    text
      .split("\n")
      .map((l) => /\bhack\/[\w.-]+\.sh(?: [\w-]+)*/.exec(l.replace(/^\s*#.*/, ""))?.[0])
      .filter((c): c is string => c !== undefined);

  it("brings up what the suite needs with the scripts and flags .ci/run uses, before Jest", () => {
    const needed = commands(ci).filter((c) => !c.startsWith("hack/node.sh"));
    expect(needed).toEqual(expect.arrayContaining(["hack/tools.sh", "hack/docker.sh up", "hack/images.sh"]));
    expect(needed.some((c) => c.startsWith("hack/cluster.sh up"))).toBe(true);
    const own = commands(test);
    const jest = own.findIndex((c) => c.startsWith("hack/node.sh node"));
    for (const c of ["hack/deps.sh", ...needed]) {
      expect(own).toContain(c);
      expect(own.indexOf(c)).toBeLessThan(jest);
    }
    expect(ci).toMatch(/^npm test$/m);
  });
});
