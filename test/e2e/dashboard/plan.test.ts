// The dashboard's plan, in headless Chromium against the operator's own dashboard on the local control
// plane: a document pasted into "Plan a change" colours the node that would restart, the one that would be
// deleted and the one that would be created, and applies nothing; the token rule holds for the POST.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Browser, Page } from "playwright-core";
import { stringify } from "yaml";
import { request, resourcePath } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  createNamespace,
  freePort,
  kube,
  startOperator,
  topology,
  waitForPhase,
  waitFor,
  type OperatorProcess,
} from "../operator/harness.ts";
import { cspViolations, drawn, ensureWebBuilt, launch, openPage, screenshot } from "./browser.ts";

const spec = (o: { api?: string; ui?: boolean; cache?: boolean } = {}) => ({
  nodes: [
    { name: "db", image: "db:1", ports: [{ name: "pg", port: 5432 }] },
    { name: "api", image: o.api ?? "api:1", ports: [{ name: "http", port: 8080 }], dependsOn: ["db"] },
    ...(o.ui === false ? [] : [{ name: "ui", image: "ui:1", connectsTo: ["api"] }]),
    ...(o.cache ? [{ name: "cache", image: "cache:1", ports: [{ name: "redis", port: 6379 }] }] : []),
  ],
});

/** resourceVersion of every Deployment and of the Topology: what a plan must leave alone. */
async function versions(namespace: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [apiVersion, kind] of [
    ["apps/v1", "Deployment"],
    ["topo.dev/v1alpha1", "Topology"],
  ] as const) {
    const list = await request<{ items: KubernetesObject[] }>(
      kube().kc,
      "GET",
      resourcePath(apiVersion, kind, namespace),
    );
    for (const o of list.items) out[`${kind}/${o.metadata!.name}`] = o.metadata!.resourceVersion!;
  }
  return out;
}

describe("dashboard: plan a change", () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let op: OperatorProcess;
  let browser: Browser;
  let page: Page;
  let url: string;
  const TOKEN = `t-${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    ensureWebBuilt();
    ns = await createNamespace("topo-dash-plan");
    const port = await freePort();
    op = await startOperator({
      namespace: ns.name,
      env: {
        TOPO_DASHBOARD_ENABLED: "true",
        TOPO_DASHBOARD_PORT: String(port),
        TOPO_DASHBOARD_TOKEN: TOKEN,
        TOPO_LOG_LEVEL: "info",
      },
    });
    url = `http://127.0.0.1:${port}`;
    await applyTopology(topology(ns.name, "web", spec()));
    await waitForPhase(ns.name, "web", "Ready", 120_000);
    browser = await launch();
    page = await openPage(browser);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await op?.stop();
    await ns?.remove();
  });

  it("colours what a pasted document would restart, delete and create, and applies nothing", async () => {
    await page.goto(`${url}/?token=${TOKEN}#/${ns.name}/web`);
    await waitFor("the graph of web", async () => (await drawn(page)).nodes.length === 3);
    const before = await versions(ns.name);
    const doc = {
      apiVersion: "topo.dev/v1alpha1",
      kind: "Topology",
      metadata: { name: "web", namespace: ns.name },
      spec: spec({ api: "api:2", ui: false, cache: true }),
    };
    await page.locator("#plan summary").click();
    await page.locator("#plan-input").fill(stringify(doc));
    await page.getByRole("button", { name: "Plan", exact: true }).click();
    await page.locator("#plan-summary", { hasText: "revision 2 (new)" }).waitFor();
    const plan = Object.fromEntries(
      (await drawn(page)).nodes.map((n) => [n.id, (n as { plan?: string }).plan]),
    );
    expect(plan).toEqual({ db: undefined, api: "restart", ui: "delete", cache: "create" });
    expect(await page.locator("#plan-summary").innerText()).toBe(
      "1 to create, 1 to restart, 1 to delete · revision 2 (new) · start order: cache → api",
    );
    await expect(page.locator('#plan-nodes li[data-verdict="delete"]').innerText()).resolves.toMatch(
      /^ui: delete .*-Deployment web-ui/,
    );
    await screenshot(page, "plan");
    expect(await versions(ns.name)).toEqual(before);

    // An invalid document: its errors by line, and the graph without a plan.
    await page.locator("#plan-input").fill(stringify(doc).replace("image: db:1", "imagee: db:1"));
    await page.getByRole("button", { name: "Plan", exact: true }).click();
    await page.locator("#plan-summary", { hasText: "No plan: the Topology is not valid" }).waitFor();
    await expect(page.locator("#plan-nodes li").first().innerText()).resolves.toMatch(
      /^line \d+:\d+: spec\.nodes\[0\]\.imagee: unknown field "imagee"/,
    );
    expect((await drawn(page)).nodes.map((n) => n.id).sort()).toEqual(["api", "db", "ui"]);
    expect(await cspViolations(page)).toEqual([]);
  });

  it("holds the token rule for the POST and answers a GET of it with 405", async () => {
    const path = `${url}/api/topologies/${ns.name}/web/plan`;
    const body = stringify({
      apiVersion: "topo.dev/v1alpha1",
      kind: "Topology",
      metadata: { name: "web" },
      spec: spec(),
    });
    const post = (headers: Record<string, string>) =>
      fetch(path, { method: "POST", body, headers: { "content-type": "application/yaml", ...headers } });
    expect((await post({})).status).toBe(401);
    const ok = await post({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    const { plan } = (await ok.json()) as { plan: { changed: boolean; revision: { new: boolean } } };
    expect(plan).toMatchObject({ changed: false, revision: { new: false } });
    expect((await fetch(path, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });
});
