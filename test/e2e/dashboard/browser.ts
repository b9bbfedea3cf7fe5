// Shared by the dashboard e2e tests: the built front end, Debian's headless Chromium through
// playwright-core, CSP-violation capture, and `topo dashboard` as a child process.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT, waitFor } from "../operator/harness.ts";

export const CHROMIUM = process.env.TOPO_CHROMIUM ?? "/usr/bin/chromium";
const DOCS = join(ROOT, "docs");
const ARTIFACTS = join(ROOT, "test/e2e/artifacts");

const WEB = join(ROOT, "operator/src/dashboard/web");

/** The newest modification time under a path (a file, or a directory walked recursively). */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/**
 * Builds the front end when web/dist is missing or older than its sources, so the tests never drive a
 * stale build. Test files in parallel workers may both build: each builds into its own directory and
 * swaps it in with renames, so a server never sees a half-written dist.
 */
export function ensureWebBuilt(): void {
  const dist = join(WEB, "dist");
  const sources = ["src", "index.html", "vite.config.ts"].map((f) => join(WEB, f));
  if (existsSync(join(dist, "index.html")) && newest(dist) >= Math.max(...sources.map(newest))) return;
  const fresh = `${dist}.${process.pid}`;
  execFileSync(
    join(ROOT, "hack/node.sh"),
    [
      "node",
      join(ROOT, "node_modules/vite/bin/vite.js"),
      "build",
      "--config",
      join(WEB, "vite.config.ts"),
      "--outDir",
      fresh,
      "--emptyOutDir",
      "--logLevel",
      "warn",
    ],
    { cwd: ROOT, stdio: "inherit" },
  );
  const old = `${dist}.old.${process.pid}`;
  try {
    renameSync(dist, old);
  } catch {
    // no dist yet, or another worker is swapping it
  }
  try {
    renameSync(fresh, dist);
  } catch {
    rmSync(fresh, { recursive: true, force: true }); // another worker's identical build got there first
  }
  rmSync(old, { recursive: true, force: true });
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

/**
 * A screenshot as docs/dashboard-NAME.png shows it, written to test/e2e/artifacts/ (ignored by git) on
 * every run, and into docs/ for the README only with TOPO_DASHBOARD_SCREENSHOTS=1: a test run does not
 * leave changed images in the working tree.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const file = `dashboard-${name}.png`;
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, file) });
  if (process.env.TOPO_DASHBOARD_SCREENSHOTS === "1") copyFileSync(join(ARTIFACTS, file), join(DOCS, file));
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
