// `topo up` / `status` / `down` on the real Docker engine with the local images (hack/images.sh), once
// with Compose v2 (the docker plugin) and once with Debian's docker-compose 1.29.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { containerId, docker, ROOT, sh } from "./shell.ts";

const SECRET = `pw-${Math.random().toString(36).slice(2, 10)}`;


/** A topology of local services with http, tcp and exec health, a dependency chain and a node with no edges. */
function labTopology(name: string, opts: { apiEnv?: Record<string, string>; deadline?: number } = {}) {
  const health = { interval: "1s", timeout: "2s", retries: 3 };
  return {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec: {
      isolation: "links",
      rollout: { progressDeadlineSeconds: opts.deadline ?? 60 },
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
            ...Object.entries(opts.apiEnv ?? {}).map(([n, value]) => ({ name: n, value })),
          ],
          health: { ...health, http: { path: "/healthz", port: "http" } },
        },
        {
          name: "loner",
          image: "topo/busybox:local",
          command: ["sleep", "3600"],
          health: { ...health, exec: { command: ["sh", "-c", "test -d /tmp"] } },
          resources: { cpu: "250m", memory: "64Mi" },
        },
      ],
    },
  };
}

describe.each([["v2"], ["v1"]])("topo up with compose %s", (compose) => {
  const dir = mkdtempSync(join(tmpdir(), `topo-up-${compose}-`));
  const name = `lab-${compose}-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "lab.yaml");
  const env = { ...process.env, TOPO_COMPOSE: compose, TOPO_SECRET_DB_SECRETS_PASSWORD: SECRET };
  const topo = (...args: string[]) => sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], env);
  const container = async (service: string, project = name) =>
    await containerId(project, service);

  const afterAllCleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    await Promise.all([topo("down", file, "--volumes"), ...afterAllCleanups.map((f) => f())]);
  });

  it("comes up healthy in dependency order, with peers reachable by name and secrets kept out of files", async () => {
    writeFileSync(file, stringify(labTopology(name)));
    const up = await topo("up", file);
    expect(up.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(new RegExp(`${name}: revision 1 is healthy`));

    // db was healthy before api started: compare the engine's own timestamps.
    const inspect = async (service: string) =>
      JSON.parse((await docker("inspect", await container(service))).stdout)[0] as {
        State: { StartedAt: string; Health: { Log: { Start: string; ExitCode: number }[] } };
      };
    const [db, api] = [await inspect("db"), await inspect("api")];
    const dbHealthyAt = db.State.Health.Log.find((l) => l.ExitCode === 0)!.Start;
    expect(Date.parse(api.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(dbHealthyAt));

    // TOPO_PEERS resolve and answer between containers.
    const peers = await docker("exec", await container("api"), "wget", "-qO-", "http://127.0.0.1:8080/peers");
    expect(JSON.parse(peers.stdout)).toEqual({ [`${name}-db:8080`]: "ok" });
    // isolation: links — the loner has no edge to db, so it can neither resolve nor reach it.
    const reach = await docker("exec", await container("loner"), "nc", "-w", "2", `${name}-db`, "8080");
    expect(reach.code).not.toBe(0);
    // resources: the engine limits the container to the node's CPU and memory, as Kubernetes does.
    const limits = JSON.parse((await docker("inspect", await container("loner"))).stdout)[0].HostConfig as {
      NanoCpus: number;
      Memory: number;
    };
    expect({ cpus: limits.NanoCpus / 1e9, memory: limits.Memory }).toEqual({ cpus: 0.25, memory: 64 * 2 ** 20 });

    // The secret reaches the container, and no generated file but the 0600 env file holds it.
    const printed = await docker("exec", await container("api"), "sh", "-c", "echo \"$DB_PASSWORD\"");
    expect(printed.stdout.trim()).toBe(SECRET);
    const state = join(dir, ".topo", name);
    const composeFile = readFileSync(join(state, "revisions", "1", "docker-compose.yml"), "utf8");
    expect(composeFile).not.toContain(SECRET);
    expect(composeFile).toContain("${TOPO_SECRET_DB_SECRETS_PASSWORD}");
    expect(statSync(join(state, "secrets.env")).mode & 0o777).toBe(0o600);
    const files = readdirSync(state, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    for (const f of files)
      if (f.name !== "secrets.env") expect(readFileSync(join(f.parentPath, f.name), "utf8")).not.toContain(SECRET);

    const status = await topo("status", file, "-o", "json");
    expect(JSON.parse(status.stdout)).toMatchObject({
      revision: 1,
      lastGoodRevision: 1,
      nodes: [
        { node: "db", state: "running", health: "healthy" },
        { node: "api", state: "running", health: "healthy" },
        { node: "loner", state: "running", health: "healthy" },
      ],
    });
  });

  it("rolls a release that fails its health check back to the previous revision, which answers again", async () => {
    writeFileSync(file, stringify(labTopology(name, { apiEnv: { FAIL_HEALTH: "1" }, deadline: 30 })));
    const started = Date.now();
    const up = await topo("up", file);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/revision 2 failed: service api: its health check fails/);
    expect(up.stderr).toMatch(/rolled back to revision 1, which is healthy again/);
    expect(up.stderr).toMatch(/last log lines of api/);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(Date.now() - started).toBeLessThan(120_000);

    const api = await container("api");
    const envOf = JSON.parse((await docker("inspect", api)).stdout)[0].Config.Env as string[];
    expect(envOf).not.toContain("FAIL_HEALTH=1");
    const health = await docker("exec", api, "wget", "-qO-", "http://127.0.0.1:8080/healthz");
    expect(health.stdout.trim()).toBe("ok");
    const status = JSON.parse((await topo("status", file, "-o", "json")).stdout);
    expect(status).toMatchObject({ revision: 1, lastGoodRevision: 1 });
    expect(status.history.map((h: { revision: number; outcome: string }) => [h.revision, h.outcome])).toEqual([
      [1, "Succeeded"],
      [2, "RolledBack"],
    ]);
  });

  it("rolls back a release whose process exits, honours docker-compose.override.yml, and passes logs through", async () => {
    writeFileSync(file, stringify(labTopology(name, { apiEnv: { EXIT_AFTER: "300ms" }, deadline: 30 })));
    const up = await topo("up", file);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/service api: its container (exited with code 1|keeps restarting)/);
    expect(up.stderr).toMatch(/testsvc: exiting as told by EXIT_AFTER/); // its last log lines
    expect(up.stderr).toMatch(/rolled back to revision \d+, which is healthy again/);
    expect(up.stderr).not.toMatch(/\n\s+at /);

    // A docker-compose.override.yml beside the topology file is part of every `up`.
    const override = join(dir, "docker-compose.override.yml");
    writeFileSync(override, stringify({ services: { loner: { environment: { FROM_OVERRIDE: "from-override" } } } }));
    try {
      writeFileSync(file, stringify(labTopology(name)));
      const again = await topo("up", file);
      expect(again.code === 0 ? "exit 0" : again.stderr).toBe("exit 0");
      const printed = await docker("exec", await container("loner"), "sh", "-c", 'echo "$FROM_OVERRIDE"');
      expect(printed.stdout.trim()).toBe("from-override");
    } finally {
      rmSync(override);
    }

    const logs = await topo("logs", file, "api");
    expect(logs.code).toBe(0);
    expect(logs.stdout + logs.stderr).toMatch(/testsvc: listening on :8080/);
  });

  it("runs beside another topology, and down removes what it created", async () => {
    const other = `other-${compose}-${Math.random().toString(36).slice(2, 6)}`;
    const otherFile = join(dir, "other.yaml");
    writeFileSync(otherFile, stringify(labTopology(other)));
    writeFileSync(file, stringify(labTopology(name)));
    const [a, b] = await Promise.all([topo("up", file), topo("up", otherFile)]);
    // Whatever happens below, the other project does not outlive the test.
    const cleanup = () => topo("down", otherFile, "--volumes");
    afterAllCleanups.push(cleanup);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await container("api", other)).not.toBe("");
    expect(await container("api", name)).not.toBe("");

    const down = await topo("down", otherFile);
    expect(down.code).toBe(0);
    const left = await docker("ps", "-aq", "--filter", `label=com.docker.compose.project=${other}`);
    expect(left.stdout.trim()).toBe("");
    const networks = await docker("network", "ls", "-q", "--filter", `label=com.docker.compose.project=${other}`);
    expect(networks.stdout.trim()).toBe("");
    // The first topology was not touched.
    expect(await container("api", name)).not.toBe("");
  });
});

describe("topo up errors a person can act on", () => {
  const dir = mkdtempSync(join(tmpdir(), "topo-up-err-"));
  const topo = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], { ...process.env, ...env });

  it("names the node and the image when an image is not on the machine and cannot be pulled", async () => {
    const file = join(dir, "missing.yaml");
    writeFileSync(
      file,
      stringify({
        apiVersion: "topo.dev/v1alpha1",
        kind: "Topology",
        metadata: { name: "missing-image" },
        spec: { nodes: [{ name: "ghost", image: "topo/does-not-exist:local" }] },
      }),
    );
    const r = await topo({}, "up", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/node ghost: image topo\/does-not-exist:local is not on this machine and cannot be pulled/);
    expect(r.stderr).toMatch(/nothing was started/);
  });

  it("names the node and the port when a host port is taken", async () => {
    const { createServer } = await import("node:net");
    const srv = createServer().listen(0, "0.0.0.0");
    await new Promise((r) => srv.once("listening", r));
    const port = (srv.address() as { port: number }).port;
    const file = join(dir, "port.yaml");
    writeFileSync(
      file,
      stringify({
        apiVersion: "topo.dev/v1alpha1",
        kind: "Topology",
        metadata: { name: "port-taken" },
        spec: { nodes: [{ name: "web", image: "topo/testsvc:local", ports: [{ name: "http", port: 8080, hostPort: port }] }] },
      }),
    );
    const r = await topo({}, "up", file);
    srv.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`node web: host port ${port} is already in use`);
  });

  it("checks every host port of a replicated node's range, not only the first", async () => {
    const { createServer } = await import("node:net");
    const srv = createServer().listen(0, "0.0.0.0");
    await new Promise((r) => srv.once("listening", r));
    const port = (srv.address() as { port: number }).port;
    const file = join(dir, "range.yaml");
    const web = { name: "web", image: "topo/testsvc:local", replicas: 3 };
    writeFileSync(
      file,
      stringify({
        apiVersion: "topo.dev/v1alpha1",
        kind: "Topology",
        metadata: { name: "range-taken" },
        spec: { nodes: [{ ...web, ports: [{ name: "http", port: 8080, hostPort: port - 2 }] }] },
      }),
    );
    const r = await topo({}, "up", file);
    srv.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `node web: host port ${port} (of ${port - 2}-${port}, one per replica) is already in use; nothing was started`,
    );
    expect((await docker("ps", "-aq", "--filter", "label=com.docker.compose.project=range-taken")).stdout.trim()).toBe("");
  });

  it("says in one line that no engine answers", async () => {
    const file = join(dir, "missing.yaml");
    const r = await topo({ DOCKER_HOST: "unix:///nonexistent/docker.sock" }, "up", file);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/no Docker engine answers.*start it/);
  });

  it("says which secret is missing and where it is looked for", async () => {
    const file = join(dir, "secret.yaml");
    writeFileSync(file, stringify(labTopology("needs-secret")));
    const r = await topo({}, "up", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("secret db-secrets/password (used by api.DB_PASSWORD): set TOPO_SECRET_DB_SECRETS_PASSWORD");
    expect(r.stderr).toContain("db-secrets.env");
  });
});
