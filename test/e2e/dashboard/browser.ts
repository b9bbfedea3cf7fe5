// Shared by the dashboard e2e tests: the built front end, Debian's headless Chromium through
// playwright-core, CSP-violation capture, and `topo dashboard` as a child process.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT, waitFor } from "../operator/harness.ts";

export const CHROMIUM = process.env.TOPO_CHROMIUM ?? "/usr/bin/chromium";
export const DOCS = join(ROOT, "docs");

/** Builds the front end (vite build) when web/dist is missing. */
export function ensureWebBuilt(): void {
  if (existsSync(join(ROOT, "operator/src/dashboard/web/dist/index.html"))) return;
  execFileSync(
    join(ROOT, "hack/node.sh"),
    ["npx", "vite", "build", "--config", "operator/src/dashboard/web/vite.config.ts"],
    { cwd: ROOT, stdio: "inherit" },
  );
}

export async function launch(): Promise<Browser> {
  // --no-sandbox: the tests run as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** A page that records Content-Security-Policy violations in window.__csp. */
export async function openPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.addInitScript(() => {
    (window as unknown as { __csp: string[] }).__csp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return page;
}

export const cspViolations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

export interface DrawnGraph {
  nodes: { id: string; phase: string; shape: string }[];
  edges: { source: string; target: string; kind: string; lineStyle: string; arrow: string }[];
}

export const drawn = (page: Page) =>
  page.evaluate(() => (window as unknown as { __topo: { graph(): DrawnGraph } }).__topo.graph());

/** `topo dashboard ...` as a child process; resolves once it answers on its port. */
export async function startDashboardCli(
  args: string[],
  port: number,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; logs(): string; stop(): Promise<void> }> {
  let out = "";
  const child = spawn(
    process.execPath,
    [join(ROOT, "operator/src/cli/bin.ts"), "dashboard", "--port", String(port), ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await waitFor(
    "topo dashboard to listen",
    async () => child.exitCode === null && (await fetch(`http://127.0.0.1:${port}/`)).status < 500,
    30_000,
  ).catch((err: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${err.message}\n${out}`);
  });
  return {
    child,
    logs: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
