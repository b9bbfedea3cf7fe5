// `topo plan --target compose` on the real Docker engine, with Compose v2 and with docker-compose 1.29: a
// project that does not run, the running file, an image change and a removed node. Each plan leaves the
// container ids and the state directory as they were; the image change is then run by `topo up`, and the
// containers it recreates are exactly the ones the plan named.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseTopology } from "../../../operator/src/api/parse.ts";
import { planProject } from "../../../operator/src/plan/compose.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** db <- api <- web, each the test service with a health check; `api` sets api's image. */
function lab(name: string, o: { api?: string; without?: string[] } = {}) {
  const health = { interval: "1s", timeout: "2s", retries: 3, tcp: { port: "http" } };
  const node = (n: string, image: string, dependsOn: string[]) => ({
    name: n,
    image,
    ports: [{ name: "http", port: 8080 }],
    health,
    ...(dependsOn.length ? { dependsOn } : {}),
  });
  const nodes = [
    node("db", "topo/testsvc:local", []),
    node("api", o.api ?? "topo/testsvc:local", ["db"]),
    node("web", "topo/testsvc:local", ["api"]),
  ].filter((n) => !o.without?.includes(n.name));
  return { apiVersion: "topo.dev/v1alpha1", kind: "Topology", metadata: { name }, spec: { nodes } };
}

interface JsonPlan {
  changed: boolean;
  plans: {
    exists: boolean;
    nodes: { name: string; verdict: string; objects: { action: string; note?: string }[] }[];
    revision: { current?: number; next: number; new: boolean };
    recreate: string[];
    startOrder: string[][];
  }[];
}

const TAG = `topo/testsvc:plan-${Math.random().toString(36).slice(2, 6)}`;
beforeAll(async () => {
  expect((await sh("docker", ["tag", "topo/testsvc:local", TAG])).code).toBe(0);
});
afterAll(async () => {
  await sh("docker", ["rmi", TAG]);
});

describe.each([["v2"], ["v1"]])("topo plan --target compose with compose %s", (compose) => {
  const dir = mkdtempSync(join(tmpdir(), `topo-plan-${compose}-`));
  const name = `plan-${compose}-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "lab.yaml");
  // Without KUBECONFIG the default target is compose.
  const { KUBECONFIG: _cluster, ...env }: NodeJS.ProcessEnv = { ...process.env, TOPO_COMPOSE: compose };
  const topo = (...args: string[]) => sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], env);
  const state = join(dir, ".topo", name);

  /** The project's containers (id per service) and every file of the state directory, with its content. */
  const world = async () => {
    const ps = await sh("docker", [
      "ps",
      "-a",
      "--no-trunc",
      "--filter",
      `label=com.docker.compose.project=${name}`,
      "--format",
      '{{.ID}} {{.Label "com.docker.compose.service"}} {{.State}}',
    ]);
    const files = existsSync(state)
      ? readdirSync(state, { recursive: true, withFileTypes: true })
          .filter((f) => f.isFile())
          .map((f) => `${join(f.parentPath, f.name)}:${readFileSync(join(f.parentPath, f.name), "utf8")}`)
          .sort()
      : [];
    return { containers: ps.stdout.trim().split("\n").filter(Boolean).sort(), files };
  };
  const idOf = async (service: string) =>
    (await world()).containers.find((c) => c.split(" ")[1] === service)?.split(" ")[0];
  /** `topo plan` (the default target), checked to leave the project and its state as they were. */
  const plan = async (doc: ReturnType<typeof lab>, ...args: string[]) => {
    writeFileSync(file, stringify(doc));
    const before = await world();
    const run = await topo("plan", file, ...args);
    expect(await world()).toEqual(before);
    return run;
  };
  const json = async (doc: ReturnType<typeof lab>) => {
    const run = await plan(doc, "-o", "json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return (JSON.parse(run.stdout) as JsonPlan).plans[0]!;
  };
  const verdicts = (p: JsonPlan["plans"][number]) => Object.fromEntries(p.nodes.map((n) => [n.name, n.verdict]));

  afterAll(async () => {
    await topo("down", file, "--volumes");
    rmSync(dir, { recursive: true, force: true });
  });

  it("plans a project that does not run as all-create, revision 1, and starts nothing", async () => {
    const run = await plan(lab(name), "--exit-code");
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`Compose project ${name} (Docker): not there yet`);
    expect(run.stdout).toContain("Start order: db → api → web");
    const p = await json(lab(name));
    expect(verdicts(p)).toEqual({ db: "create", api: "create", web: "create" });
    expect(p.revision).toEqual({ next: 1, new: true });
    expect(existsSync(state)).toBe(false);
  });

  it("finds nothing to do for the file the project runs: exit 0 with --exit-code, no new revision", async () => {
    writeFileSync(file, stringify(lab(name)));
    const up = await topo("up", file);
    expect(up.code === 0 ? "up" : up.stderr).toBe("up");
    const run = await plan(lab(name), "--exit-code");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Revision: no new revision (stays at 1)");
    const p = await json(lab(name));
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
    expect(p.recreate).toEqual([]);
    expect(p.exists).toBe(true);
    // The dashboard's compose source finds the topology file through the project's containers.
    const parsed = parseTopology(lab(name, { api: "topo/testsvc:other" }));
    if (!parsed.ok) throw new Error("invalid fixture");
    const quiet = { write: () => true };
    const found = await planProject({ stdout: quiet, stderr: quiet, cwd: dir, env }, parsed.topology);
    expect(Object.fromEntries(found.nodes.map((n) => [n.name, n.verdict]))).toEqual({
      db: "unchanged",
      api: "restart",
      web: "unchanged",
    });
  });

  it("names the one container an image change recreates, and topo up recreates exactly that one", async () => {
    const next = lab(name, { api: TAG });
    const run = await plan(next);
    expect(run.stdout).toMatch(/^ {2}api +restart$/m);
    expect(run.stdout).toContain(`image: topo/testsvc:local → ${TAG}`);
    expect(run.stdout).toContain("Revision: 2 (new; 1 runs now)");
    const p = await json(next);
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "restart", web: "unchanged" });
    expect(p.recreate).toEqual(["api"]);
    expect(p.startOrder).toEqual([["api"]]);

    const before = { db: await idOf("db"), api: await idOf("api"), web: await idOf("web") };
    const up = await topo("up", file);
    expect(up.code === 0 ? "up" : up.stderr).toBe("up");
    expect(await idOf("db")).toBe(before.db);
    expect(await idOf("web")).toBe(before.web);
    expect(await idOf("api")).not.toBe(before.api);
    expect(verdicts(await json(next))).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
  });

  it("lists a removed node's service and container as deleted, and the peer that loses its network", async () => {
    const p = await json(lab(name, { api: TAG, without: ["web"] }));
    // api leaves the network it shared with web only: Compose recreates it, unlike a Kubernetes pod.
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "restart", web: "delete" });
    expect(p.nodes.find((n) => n.name === "web")!.objects).toEqual([
      expect.objectContaining({ action: "delete", note: "1 container removed" }),
    ]);
    expect(p.revision).toEqual({ current: 2, next: 3, new: true });
  });
});
