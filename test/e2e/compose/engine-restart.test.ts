// The Docker engine restarts while `topo up` waits for health (issue 20), on a private engine of this test
// (hack/docker.sh private: the shared engine runs everyone's tests), once with Compose v2 and once with
// docker-compose 1.29. `topo up` ends with one clear message, rolls nothing back and records the attempt
// (of an unchanged revision too); `topo status` shows what the engine kept, a stopped container by its
// state and never its last health; the next `topo up` converges on the same revision.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { waitFor } from "../operator/harness.ts";
import { PrivateEngine, sh, type Result } from "./private-engine.ts";
import { containerId } from "./shell.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const BIN = join(ROOT, "operator/src/cli/bin.ts");

/**
 * gate ← web. The gate is healthy only while /flag/open exists in its volume (its long start period keeps
 * it `starting` meanwhile, never unhealthy): the test decides how long `topo up` waits.
 */
function gated(name: string, webEnv: Record<string, string> = {}) {
  const health = { interval: "1s", timeout: "2s", retries: 3 };
  return {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec: {
      rollout: { progressDeadlineSeconds: 180 },
      nodes: [
        {
          name: "gate",
          image: "topo/busybox:local",
          command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"],
          volumes: [{ name: "flag", mountPath: "/flag", size: "1Mi" }],
          health: { ...health, startPeriod: "600s", exec: { command: ["test", "-f", "/flag/open"] } },
        },
        {
          name: "web",
          image: "topo/testsvc:local",
          ports: [{ name: "http", port: 8080 }],
          dependsOn: ["gate"],
          env: Object.entries(webEnv).map(([n, value]) => ({ name: n, value })),
          health: { ...health, http: { path: "/healthz", port: "http" } },
        },
      ],
    },
  };
}

interface Background {
  output(): string;
  running(): boolean;
  done: Promise<Result>;
}

/** Waits for `fn` while `topo up` runs: one that has ended fails the wait at once, with what it said. */
async function waitWhile(up: Background, what: string, fn: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await fn()) return;
    if (!up.running()) throw new Error(`topo up ended while waiting for ${what}:\n${up.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface StatusJson {
  revision: number | null;
  lastGoodRevision: number | null;
  history: { revision: number; outcome: string; reason?: string }[];
  nodes: { node: string; state: string; health: string; replicas: string }[];
}

let engine: PrivateEngine;
beforeAll(async () => {
  engine = await PrivateEngine.start(["topo/busybox:local", "topo/testsvc:local"]);
});
afterAll(async () => {
  await engine?.remove();
});

describe.each([["v2"], ["v1"]])("the Docker engine restarts while topo up waits, compose %s", (compose) => {
  const dir = mkdtempSync(join(tmpdir(), `topo-restart-${compose}-`));
  const name = `gate-${compose}-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "gate.yaml");
  const env = () => engine.env({ TOPO_COMPOSE: compose });
  const topo = (...args: string[]) => sh(process.execPath, [BIN, ...args], env());
  const status = async () => JSON.parse((await topo("status", file, "-o", "json")).stdout) as StatusJson;
  const outcomes = (s: StatusJson) => s.history.map((h) => [h.revision, h.outcome]);

  /** `topo up` in the background: its output so far, and its result. */
  function upInBackground(): Background {
    const child = spawn(process.execPath, [BIN, "up", file], { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let running = true;
    const done = new Promise<Result>((resolve) =>
      child.on("close", (code) => {
        running = false;
        resolve({ code: code ?? 1, stdout, stderr });
      }),
    );
    return { output: () => stdout + stderr, running: () => running, done };
  }

  const containerOf = (service: string) => containerId(name, service, { all: true, run: (...args) => engine.docker(...args) });
  const openGate = (up: Background) =>
    waitWhile(up, "the gate to open", async () => {
      const id = await containerOf("gate");
      return id !== "" && (await engine.docker("exec", id, "touch", "/flag/open")).code === 0;
    });
  /** Closes the gate and restarts it, so that it is `starting` until opened again. */
  async function closeGate(): Promise<void> {
    const id = await containerOf("gate");
    expect((await engine.docker("exec", id, "rm", "-f", "/flag/open")).code).toBe(0);
    expect((await engine.docker("restart", "-t", "1", id)).code).toBe(0);
  }
  /** Starts `topo up`, restarts the engine once it waits (`waiting` printed), and returns what it said. */
  async function upThroughRestart(waiting: RegExp): Promise<Result> {
    const up = upInBackground();
    await waitWhile(up, "topo up to wait on the gate", async () => waiting.test(up.output()));
    await engine.stop();
    const result = await up.done;
    await engine.restart();
    return result;
  }
  const expectEngineFailure = (r: Result, revision: number) => {
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `topo: revision ${revision} failed: the Docker engine stopped answering while topo up waited for health \\(.+\\); nothing was rolled back`,
      ),
    );
    expect(r.stderr).toMatch(new RegExp(`\`topo up ${file}\` runs revision ${revision} again`));
    expect(r.stderr).not.toMatch(/rolling back|last log lines/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  afterAll(async () => {
    await topo("down", file, "--volumes");
  });

  it("comes up once the gate opens", async () => {
    writeFileSync(file, stringify(gated(name)));
    const up = upInBackground();
    await openGate(up);
    const r = await up.done;
    expect(r.code === 0 ? "exit 0" : r.stderr).toBe("exit 0");
    expect(r.stdout).toContain(`${name}: revision 1 is healthy`);
  });

  it("ends with one clear message when the engine restarts while it checks an unchanged revision, and records that attempt", async () => {
    await closeGate();
    // Checking the revision that is there, topo up judges its containers from the start.
    const r = await upThroughRestart(/ {2}gate: running, starting\n/);
    expect(r.stderr).toContain(`checking ${name} revision 1`);
    expectEngineFailure(r, 1);

    const s = await status();
    expect(s).toMatchObject({ revision: 1, lastGoodRevision: 1 });
    expect(outcomes(s)).toEqual([
      [1, "Succeeded"],
      [1, "Failed"],
    ]);
    expect(s.history[1]!.reason).toMatch(/the Docker engine stopped answering/);
  });

  it("shows what the engine kept: a container that does not run by its state, not by its last health", async () => {
    // The engine starts the project's containers again (restart: unless-stopped); web is stopped by hand.
    const web = await waitFor("web to be healthy again", async () => {
      const id = await containerOf("web");
      const inspect = await engine.docker("inspect", "--format", "{{.State.Health.Status}}", id);
      return inspect.stdout.trim() === "healthy" ? id : undefined;
    });
    expect((await engine.docker("stop", "-t", "1", web)).code).toBe(0);
    const s = await status();
    expect(s.nodes.find((n) => n.node === "web")).toEqual({
      node: "web",
      state: "exited",
      health: "-",
      image: "topo/testsvc:local",
      replicas: "0/1",
    });
    expect(s.nodes.find((n) => n.node === "gate")).toMatchObject({ state: "running", health: "starting" });
  });

  it("converges on the next topo up, which records its attempt too", async () => {
    const up = upInBackground();
    await openGate(up);
    const r = await up.done;
    expect(r.code === 0 ? "exit 0" : r.stderr).toBe("exit 0");
    expect(r.stdout).toContain(`${name}: revision 1 is healthy`);
    const s = await status();
    expect(s.nodes.map((n) => [n.node, n.state, n.health])).toEqual([
      ["gate", "running", "healthy"],
      ["web", "running", "healthy"],
    ]);
    expect(outcomes(s)).toEqual([
      [1, "Succeeded"],
      [1, "Failed"],
      [1, "Succeeded"],
    ]);
  });

  it("rolls nothing back when the engine restarts during a new revision, and the next topo up retries that revision", async () => {
    writeFileSync(file, stringify(gated(name, { RELEASE: "2" })));
    await closeGate();
    const r = await upThroughRestart(/ {2}gate: /);
    expect(r.stderr).toContain(`starting ${name} revision 2`);
    expectEngineFailure(r, 2);
    expect(await status()).toMatchObject({ revision: 2, lastGoodRevision: 1 });

    const up = upInBackground();
    await openGate(up);
    const again = await up.done;
    expect(again.code === 0 ? "exit 0" : again.stderr).toBe("exit 0");
    expect(again.stderr).toContain(`retrying ${name} revision 2`);
    const s = await status();
    expect(s).toMatchObject({ revision: 2, lastGoodRevision: 2 });
    expect(outcomes(s).slice(-2)).toEqual([
      [2, "Failed"],
      [2, "Succeeded"],
    ]);
    const env = JSON.parse((await engine.docker("inspect", await containerOf("web"))).stdout)[0].Config
      .Env as string[];
    expect(env).toContain("RELEASE=2");
  });
});
