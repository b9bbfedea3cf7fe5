// The page from `topo dashboard --source compose` against a project that `topo up` runs on the real Docker
// engine: its graph, env by secret name, revision history with images, a failed release rolled back and
// a container stopped, both shown live without a reload; the token enforced throughout.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { stringify } from "yaml";
import type {
  DashboardEvent,
  TopologyDetail,
  TopologySummary,
} from "../../../operator/src/dashboard/types.ts";
import { freePort, ROOT, waitFor } from "../operator/harness.ts";
import {
  cspViolations,
  drawn,
  ensureWebBuilt,
  launch,
  openPage,
  screenshot,
  startDashboardCli,
} from "./browser.ts";

const TOKEN = `tok-${Math.random().toString(36).slice(2, 10)}`;
const SECRET = `pw-${Math.random().toString(36).slice(2, 10)}`;
const auth = { authorization: `Bearer ${TOKEN}` };

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    // A hung engine must not leave a child behind that keeps Jest from exiting.
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

/** db ← api (dependsOn, a secret) ← worker (connectsTo); `failing` makes api exit 300 ms after it starts. */
function shop(name: string, failing = false) {
  const health = { interval: "1s", timeout: "2s", retries: 3 };
  return {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec: {
      rollout: { progressDeadlineSeconds: 45 },
      nodes: [
        {
          name: "db",
          image: "topo/testsvc:local",
          ports: [{ name: "http", port: 8080 }],
          health: { ...health, tcp: { port: "http" } },
        },
        {
          name: "api",
          image: "topo/testsvc:local",
          ports: [{ name: "http", port: 8080 }],
          dependsOn: ["db"],
          env: [
            { name: "DB_PASSWORD", secretRef: { name: "db-secrets", key: "password" } },
            { name: "LOG_LEVEL", value: "info" },
            ...(failing ? [{ name: "EXIT_AFTER", value: "300ms" }] : []),
          ],
          health: { ...health, http: { path: "/healthz", port: "http" } },
        },
        {
          name: "worker",
          image: "topo/busybox:local",
          command: ["sleep", "3600"],
          connectsTo: ["api"],
        },
      ],
    },
  };
}

describe("dashboard (Compose source, a project from topo up)", () => {
  const name = `dash-${Math.random().toString(36).slice(2, 7)}`;
  const dir = mkdtempSync(join(tmpdir(), "topo-dash-"));
  const file = join(dir, "shop.yaml");
  const env = { ...process.env, TOPO_SECRET_DB_SECRETS_PASSWORD: SECRET };
  const topo = (...args: string[]) =>
    run(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], env);
  let browser: Browser;
  let cli: Awaited<ReturnType<typeof startDashboardCli>>;
  let base: string;

  beforeAll(async () => {
    ensureWebBuilt();
    writeFileSync(file, stringify(shop(name)));
    const up = await topo("up", file);
    if (up.code !== 0) throw new Error(`topo up failed:\n${up.out}`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cli = await startDashboardCli(["--source", "compose"], port, { TOPO_DASHBOARD_TOKEN: TOKEN });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await cli?.stop();
    await topo("down", file, "--volumes");
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the project as a local topology, with its graph, secrets by name only, history and events", async () => {
    expect((await fetch(`${base}/api/topologies`)).status).toBe(401);
    const list = (await (
      await fetch(`${base}/api/topologies`, { headers: auth })
    ).json()) as TopologySummary[];
    expect(list.find((t) => t.name === name)).toEqual({
      namespace: "local",
      name,
      source: "compose",
      phase: "Ready",
      readyNodes: 3,
      totalNodes: 3,
      revision: 1,
      lastGoodRevision: 1,
    });
    const res = await fetch(`${base}/api/topologies/local/${name}`, { headers: auth });
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    const d = JSON.parse(text) as TopologyDetail;
    expect(d.edges).toEqual([
      { from: "api", to: "db", kind: "dependsOn" },
      { from: "worker", to: "api", kind: "connectsTo" },
    ]);
    expect(d.layers.map((l) => [...l].sort())).toEqual([["db", "worker"], ["api"]]);
    expect(d.nodes.find((n) => n.name === "api")).toMatchObject({
      image: "topo/testsvc:local",
      replicas: 1,
      readyReplicas: 1,
      phase: "Ready",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      env: [
        { name: "DB_PASSWORD", secretRef: "db-secrets" },
        { name: "LOG_LEVEL", value: "info" },
      ],
    });
    expect(d.history).toEqual([
      expect.objectContaining({
        revision: 1,
        outcome: "Succeeded",
        images: { db: "topo/testsvc:local", api: "topo/testsvc:local", worker: "topo/busybox:local" },
      }),
    ]);
    const events = (await (
      await fetch(`${base}/api/topologies/local/${name}/events`, { headers: auth })
    ).json()) as DashboardEvent[];
    expect(events).toEqual(
      expect.arrayContaining([expect.objectContaining({ reason: "start", node: "db" })]),
    );
  });

  it("draws it, then shows a failed release rolled back and a stopped container live, without a reload", async () => {
    const page = await openPage(browser);
    await page.goto(`${base}/?token=${TOKEN}#/local/${name}`);
    const g = await waitFor("the compose graph", async () => {
      const x = await drawn(page);
      return x.nodes.length === 3 && x.nodes.every((n) => n.phase === "Ready") ? x : undefined;
    });
    expect(g.edges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: "api", target: "db", kind: "dependsOn", lineStyle: "dashed" }),
        expect.objectContaining({ source: "worker", target: "api", kind: "connectsTo", lineStyle: "solid" }),
      ]),
    );
    expect(g.edges).toHaveLength(2);
    await page.locator("#live[data-state=live]").waitFor();
    expect(await page.locator("#token-form").isVisible()).toBe(false);
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

    writeFileSync(file, stringify(shop(name, true)));
    const failed = await topo("up", file);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/rolled back to revision 1, which is healthy again/);
    await page.waitForFunction(
      (key) =>
        (window as unknown as { __topo: { phase(k: string): string } }).__topo.phase(key) === "RolledBack",
      `local/${name}`,
      { polling: 50 },
    );
    await page
      .locator(`#overview tr[data-key="local/${name}"]`)
      .getByText(/^rev 2 at/)
      .waitFor();
    await page.getByRole("table").filter({ hasText: "Outcome" }).getByText("RolledBack").waitFor();
    await page.getByRole("option", { name: /^api:/ }).click();
    const panel = page.getByRole("complementary", { name: "Node details" });
    await panel.getByText("DB_PASSWORD ← secret db-secrets", { exact: false }).waitFor();
    await panel.getByText("rev 2: topo/testsvc:local — RolledBack").waitFor();
    await screenshot(page, "compose");

    const phaseOf = async (node: string) => (await drawn(page)).nodes.find((n) => n.id === node);
    // Stopped by hand, so its restart policy leaves it down (Compose v1 and v2 name containers differently).
    const ps = await run("docker", [
      "ps",
      "-q",
      "--filter",
      `label=com.docker.compose.project=${name}`,
      "--filter",
      "label=com.docker.compose.service=db",
    ]);
    expect((await run("docker", ["stop", "--time", "0", ps.out.trim()])).code).toBe(0);
    const db = await waitFor("db Degraded in the page", async () => {
      const n = await phaseOf("db");
      return n?.phase === "Degraded" ? n : undefined;
    });
    expect(db.shape).toBe("triangle");
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  });
});
