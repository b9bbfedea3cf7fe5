// A node's files with `topo up` on the real Docker engine, once with Compose v2 (configs) and once with
// docker-compose 1.29 (read-only binds): each file at its path with its mode (stat inside the container), a
// secret file's value in no compose file and not in `docker inspect`, a changed file recreating only its
// service, and an automatic rollback bringing the old content back.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { containerId, docker, ROOT, sh } from "./shell.ts";

const SECRET = `tok-${Math.random().toString(36).slice(2, 10)}`;

/** app reads its files (healthy only while app.conf says "good"); other has none. */
function spec(name: string, conf: string) {
  const health = { interval: "1s", timeout: "2s", retries: 2 };
  return {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec: {
      rollout: { progressDeadlineSeconds: 20 },
      nodes: [
        {
          name: "app",
          image: "topo/busybox:local",
          command: ["sleep", "3600"],
          files: [
            { path: "/etc/app/app.conf", content: conf },
            { path: "/etc/app/extra.conf", content: "extra\n", mode: "0640" },
            { path: "/run/secrets/token", secretRef: { name: "broker", key: "token" } },
          ],
          health: { ...health, exec: { command: ["grep", "-q", "good", "/etc/app/app.conf"] } },
        },
        { name: "other", image: "topo/busybox:local", command: ["sleep", "3600"] },
      ],
    },
  };
}

describe.each([["v2"], ["v1"]])("files with compose %s", (compose) => {
  const dir = mkdtempSync(join(tmpdir(), `topo-files-${compose}-`));
  const name = `files-${compose}-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "files.yaml");
  const env = { ...process.env, TOPO_COMPOSE: compose, TOPO_SECRET_BROKER_TOKEN: SECRET };
  const topo = (...args: string[]) => sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], env);
  const container = (service: string) => containerId(name, service);
  const exec = async (...cmd: string[]) => (await docker("exec", await container("app"), ...cmd)).stdout;
  const up = async (conf: string) => {
    writeFileSync(file, stringify(spec(name, conf)));
    return topo("up", file);
  };

  afterAll(async () => {
    await topo("down", file, "--volumes");
    rmSync(dir, { recursive: true, force: true });
  });

  it("mounts each file at its path with its mode, and the secret's value only inside the container", async () => {
    const first = await up("good 1\n");
    expect(first.code === 0 ? "exit 0" : first.stderr).toBe("exit 0");
    expect(await exec("stat", "-c", "%a %n", "/etc/app/app.conf", "/etc/app/extra.conf", "/run/secrets/token")).toBe(
      "444 /etc/app/app.conf\n640 /etc/app/extra.conf\n400 /run/secrets/token\n",
    );
    expect(await exec("cat", "/etc/app/app.conf", "/etc/app/extra.conf", "/run/secrets/token")).toBe(
      `good 1\nextra\n${SECRET}`,
    );
    // Read-only in the container.
    const write = await docker("exec", await container("app"), "sh", "-c", "echo x > /etc/app/app.conf");
    expect(write.code).not.toBe(0);

    // Never in a compose file of the state directory, nor in what the engine keeps of the containers.
    const state = join(dir, ".topo", name);
    for (const r of readdirSync(join(state, "revisions")))
      expect(readFileSync(join(state, "revisions", r, "docker-compose.yml"), "utf8")).not.toContain(SECRET);
    const inspect = await docker("inspect", await container("app"), await container("other"));
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).not.toContain(SECRET);
    // The secret area: a directory only its owner reads.
    expect(statSync(join(state, "secrets")).mode & 0o777).toBe(0o700);
    // topo plan of the file it runs recreates nothing: its content files resolve as from up's compose file.
    const plan = await topo("plan", file, "--target", "compose", "-o", "json");
    expect(plan.code === 0 ? "exit 0" : plan.stderr).toBe("exit 0");
    expect(JSON.parse(plan.stdout).plans[0]).toMatchObject({ recreate: [], changed: false });
  });

  it("recreates only the service whose file changed, and rolls back to the old content on failure", async () => {
    const [app, other] = [await container("app"), await container("other")];
    const second = await up("good 2\n");
    expect(second.code === 0 ? "exit 0" : second.stderr).toBe("exit 0");
    expect(second.stdout).toMatch(/revision 2 is healthy/);
    expect(await container("other")).toBe(other);
    expect(await container("app")).not.toBe(app);
    expect(await exec("cat", "/etc/app/app.conf")).toBe("good 2\n");

    // Revision 3's file makes app unhealthy: rolled back, revision 2's file is read again.
    const third = await up("bad 3\n");
    expect(third.code).toBe(1);
    expect(third.stderr).toMatch(/revision 3 failed: service app.*rolled back to revision 2, which is healthy again/s);
    expect(await exec("cat", "/etc/app/app.conf")).toBe("good 2\n");
    expect(await container("other")).toBe(other);
  });
});
