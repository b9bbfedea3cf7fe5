// Nodes built from source on the real Docker engine, with Compose v2 and 1.29: `topo up` builds from a
// context in the test's temp directory (FROM the local topo/busybox:local: nothing is pulled), a change
// rebuilds only its node, a broken Dockerfile fails before anything stops, a rollback runs the first
// build's image without building, `topo up --watch` rolls a change forward and rolls back one that fails
// its health check, and `topo down --prune-images` keeps the images of kept revisions only.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { containerId, docker, ROOT, sh } from "./shell.ts";

const BIN = join(ROOT, "operator/src/cli/bin.ts");

function topology(name: string) {
  // A generous timeout: on a loaded machine a check that passes can take seconds (a timeout counts as a failure).
  const health = { interval: "1s", timeout: "5s", retries: 3 };
  return {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec: {
      rollout: { progressDeadlineSeconds: 40, historyLimit: 2 },
      nodes: [
        {
          name: "web",
          build: { context: "./web", args: { GREETING: "hello" }, target: "runtime" },
          command: ["sleep", "3600"],
          health: { ...health, exec: { command: ["grep", "-q", "good", "/msg"] } },
        },
        {
          name: "side",
          build: { context: "./side" },
          command: ["sleep", "3600"],
          health: { ...health, exec: { command: ["test", "-f", "/hello"] } },
        },
      ],
    },
  };
}

const WEB_DOCKERFILE = [
  "FROM topo/busybox:local AS base",
  "ARG GREETING",
  'RUN echo "$GREETING" > /greeting',
  "FROM base AS runtime",
  "COPY msg /msg",
  "",
].join("\n");

describe.each([["v2"], ["v1"]])("nodes with build, compose %s", (compose) => {
  const dir = mkdtempSync(join(tmpdir(), `topo-build-${compose}-`));
  const name = `bld-${compose}-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "lab.yaml");
  const env = { ...process.env, TOPO_COMPOSE: compose };
  const topo = (...args: string[]) => sh(process.execPath, [BIN, ...args], env);
  const write = (path: string, text: string) => writeFileSync(join(dir, path), text);
  const container = async (service: string) => {
    const id = await containerId(name, service);
    const image = id ? (await docker("inspect", "--format", "{{.Image}}", id)).stdout.trim() : "";
    const health = id ? (await docker("inspect", "--format", "{{.State.Health.Status}}", id)).stdout.trim() : "";
    return { id, image, health };
  };
  const state = () =>
    JSON.parse(readFileSync(join(dir, ".topo", name, "state.json"), "utf8")) as {
      revision: number;
      history: { revision: number; outcome: string; images: Record<string, string>; imageIds?: Record<string, string> }[];
    };
  const ok = (r: { code: number; stderr: string }) => expect(r.code === 0 ? "exit 0" : r.stderr).toBe("exit 0");
  const builtTags = async () =>
    (
      await docker("image", "ls", "--filter", `label=topo.dev/topology=${name}`, "--format", "{{.Repository}}:{{.Tag}}")
    ).stdout
      .split("\n")
      .filter(Boolean)
      .sort();

  beforeAll(() => {
    mkdirSync(join(dir, "web"));
    mkdirSync(join(dir, "side"));
    write("web/Dockerfile", WEB_DOCKERFILE);
    write("web/msg", "good 1\n");
    write("web/.dockerignore", "notes.txt\n");
    write("web/notes.txt", "not part of the image\n");
    write("side/Dockerfile", "FROM topo/busybox:local\nCOPY hello /hello\n");
    write("side/hello", "hi\n");
    writeFileSync(file, stringify(topology(name)));
  });

  afterAll(async () => {
    await topo("down", file, "--volumes");
    const tags = await builtTags();
    if (tags.length) await docker("rmi", ...tags);
    rmSync(dir, { recursive: true, force: true });
  });

  let first: { web: string; side: string };

  it("builds each node from its context, tagged with the hash of its inputs, and starts it healthy", async () => {
    const up = await topo("up", file);
    ok(up);
    expect(up.stderr).toMatch(new RegExp(`building web \\(topo\\.local/${name}-web:[0-9a-f]{16}\\) from \\./web`));
    expect(up.stderr).toMatch(new RegExp(`building side \\(topo\\.local/${name}-side:[0-9a-f]{16}\\)`));
    const [web, side] = await Promise.all([container("web"), container("side")]);
    expect([web.health, side.health]).toEqual(["healthy", "healthy"]);
    // The build argument and the target reached the build.
    expect((await docker("exec", web.id, "cat", "/greeting")).stdout.trim()).toBe("hello");
    const entry = state().history.at(-1)!;
    expect(entry.images.web).toMatch(new RegExp(`^topo\\.local/${name}-web:[0-9a-f]{16}$`));
    expect(entry.imageIds).toEqual({ web: web.image, side: side.image });
    first = { web: web.image, side: side.image };

    // Unchanged inputs (an ignored file changed only): nothing is built, the revision is checked.
    write("web/notes.txt", "edited\n");
    const again = await topo("up", file);
    ok(again);
    expect(again.stderr).not.toContain("building");
    expect(again.stderr).toContain(`checking ${name} revision 1`);
  });

  it("rebuilds and recreates only the node whose context changed", async () => {
    const side = await container("side");
    write("web/msg", "good 2\n");
    const up = await topo("up", file);
    ok(up);
    expect(up.stderr).toContain("building web");
    expect(up.stderr).not.toContain("building side");
    expect(up.stdout).toContain(`${name}: revision 2 is healthy`);
    const [web2, side2] = await Promise.all([container("web"), container("side")]);
    expect(side2.id).toBe(side.id);
    expect(web2.image).not.toBe(first.web);
    expect((await docker("exec", web2.id, "cat", "/msg")).stdout).toBe("good 2\n");
  });

  it("fails a broken Dockerfile before anything is stopped, naming the node and the step", async () => {
    const before = await Promise.all([container("web"), container("side")]);
    write("side/Dockerfile", "FROM topo/busybox:local\nCOPY hello /hello\nRUN exit 7\n");
    try {
      const up = await topo("up", file);
      expect(up.code).toBe(1);
      expect(up.stderr).toMatch(
        /topo: node side: docker build failed at step 3\/\d+: RUN exit 7: .*non-zero code: 7; nothing was stopped/,
      );
      expect(up.stderr).not.toMatch(/\n\s+at /);
      expect(await Promise.all([container("web"), container("side")])).toEqual(before);
      expect(state().revision).toBe(2);
    } finally {
      write("side/Dockerfile", "FROM topo/busybox:local\nCOPY hello /hello\n");
    }
  });

  it("rolls back to the first build's image with no build and no pull", async () => {
    const back = await topo("rollback", file, "--to", "1");
    ok(back);
    expect(back.stderr).not.toMatch(/building|pull/i);
    const [web, side] = await Promise.all([container("web"), container("side")]);
    expect({ web: web.image, side: side.image }).toEqual(first);
    expect(web.health).toBe("healthy");
  });

  it("--watch rolls a context change forward, rolls back one that fails health, and leaves it running on Ctrl-C", async () => {
    const child = spawn(process.execPath, [BIN, "up", file, "--watch"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
    const seen = async (what: RegExp, from: number) => {
      for (let i = 0; i < 1200 && !what.test(out.slice(from)); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out.slice(from)).toMatch(what);
      return out.length;
    };
    try {
      // The first round rolls forward from the rollback (revision 1) to the file as it is: revision 3.
      let at = await seen(/watching for changes/, 0);
      expect(out).toContain(`${name}: revision 3 is healthy`);

      write("web/msg", "good 3\n");
      at = await seen(/revision 4 is healthy[\s\S]*watching for changes/, at);
      expect(out.slice(at)).toBe("");
      expect((await docker("exec", (await container("web")).id, "cat", "/msg")).stdout).toBe("good 3\n");
      const good = await container("web");

      write("web/msg", "bad\n");
      at = await seen(/revision 5 failed: service web: its health check fails[\s\S]*rolled back to revision 4[\s\S]*watching for changes/, at);
      const back = await container("web");
      expect(back.image).toBe(good.image);
      expect(back.health).toBe("healthy");

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(out).toContain(`stopped watching ${file}; the project keeps running`);
      expect((await container("web")).id).toBe(back.id);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("topo down --prune-images removes the built images no kept revision names, and keeps the others", async () => {
    const s = state();
    const kept = new Set(s.history.flatMap((h) => Object.values(h.images)));
    const before = await builtTags();
    const gone = before.filter((t) => !kept.has(t));
    // historyLimit 2: revisions 1 and 2 left the history, and with them their web images.
    expect(gone.length).toBeGreaterThan(0);
    const down = await topo("down", file, "--prune-images");
    ok(down);
    expect(down.stdout).toContain(`removed ${gone.length} built image`);
    expect(await builtTags()).toEqual(before.filter((t) => kept.has(t)));
  });
});
