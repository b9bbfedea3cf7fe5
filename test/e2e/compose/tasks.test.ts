// Task nodes with `topo up` on the real Docker engine and the local images (hack/images.sh), with Compose v2
// and Debian's docker-compose 1.29: a task runs to completion before its dependents start, is not run again
// when unchanged, and a failing one fails the revision, its last log lines shown, and is rolled back.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { containerId, docker, ROOT, sh } from "./shell.ts";



/** db; migrate, a task that needs db; api, which needs migrate to have succeeded. */
function shop(name: string, o: { migrate?: string; api?: Record<string, string> } = {}) {
  const health = { interval: "1s", timeout: "2s", retries: 3 };
  return {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec: {
      rollout: { progressDeadlineSeconds: 60 },
      nodes: [
        {
          name: "db",
          image: "topo/testsvc:local",
          ports: [{ name: "http", port: 8080 }],
          health: { ...health, tcp: { port: "http" } },
        },
        {
          name: "migrate",
          image: "topo/busybox:local",
          command: ["sh", "-c", o.migrate ?? "echo migrating to 42; sleep 2; echo migrated"],
          task: { timeout: "30s" },
          dependsOn: ["db"],
        },
        {
          name: "api",
          image: "topo/testsvc:local",
          ports: [{ name: "http", port: 8080 }],
          dependsOn: ["migrate", "db"],
          env: Object.entries(o.api ?? {}).map(([n, value]) => ({ name: n, value })),
          health: { ...health, http: { path: "/healthz", port: "http" } },
        },
      ],
    },
  };
}

interface Inspected {
  Id: string;
  Created: string;
  State: { Status: string; ExitCode: number; StartedAt: string; FinishedAt: string };
}

describe.each([["v2"], ["v1"]])("task nodes with compose %s", (compose) => {
  const dir = mkdtempSync(join(tmpdir(), `topo-task-${compose}-`));
  const name = `task-${compose}-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "shop.yaml");
  const env = { ...process.env, TOPO_COMPOSE: compose };
  const topo = (...args: string[]) => sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], env);
  const inspect = async (service: string): Promise<Inspected> => {
    const id = await containerId(name, service, { all: true });
    return JSON.parse((await docker("inspect", id)).stdout)[0] as Inspected;
  };
  afterAll(async () => {
    await topo("down", file, "--volumes");
  });

  it("runs the task after db is healthy, and starts api only after it exited 0", async () => {
    writeFileSync(file, stringify(shop(name)));
    const up = await topo("up", file);
    expect(up.code === 0 ? "exit 0" : up.stderr).toBe("exit 0");
    expect(up.stderr).toMatch(/running task migrate first/);
    expect(up.stderr).toMatch(/migrate: succeeded/);

    // The compose file says it as Compose does: no restart, and api waits for its successful completion.
    const kept = parse(readFileSync(join(dir, ".topo", name, "revisions", "1", "docker-compose.yml"), "utf8"));
    expect(kept.services.migrate.restart).toBe("no");
    expect(kept.services.api.depends_on.migrate).toEqual({ condition: "service_completed_successfully" });

    // The engine's own timestamps: migrate ran its 2 s after db started, api started after migrate ended.
    const [db, migrate, api] = [await inspect("db"), await inspect("migrate"), await inspect("api")];
    expect(migrate.State).toMatchObject({ Status: "exited", ExitCode: 0 });
    expect(Date.parse(migrate.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(db.State.StartedAt));
    expect(Date.parse(migrate.State.FinishedAt) - Date.parse(migrate.State.StartedAt)).toBeGreaterThanOrEqual(
      1900,
    );
    expect(Date.parse(api.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(migrate.State.FinishedAt));
    // topo status reads the finished task as its outcome, not as a stopped service.
    const status = JSON.parse((await topo("status", file, "-o", "json")).stdout) as {
      nodes: { node: string; state: string }[];
    };
    expect(status.nodes.find((n) => n.node === "migrate")!.state).toBe("Succeeded");
  });

  it("does not run the unchanged task again on a revision that changes only api", async () => {
    const before = await inspect("migrate");
    writeFileSync(file, stringify(shop(name, { api: { RELEASE: "2" } })));
    const up = await topo("up", file);
    expect(up.code === 0 ? "exit 0" : up.stderr).toBe("exit 0");
    expect(up.stdout).toMatch(new RegExp(`${name}: revision 2 is healthy`));
    expect(up.stderr).not.toMatch(/running task/);
    const after = await inspect("migrate");
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    // The same again (the revision checked) runs it no more.
    const check = await topo("up", file);
    expect(check.code).toBe(0);
    expect((await inspect("migrate")).State.StartedAt).toBe(before.State.StartedAt);
  });

  it("plans no task for a change that leaves it as it ran, and names the task a change to it would run", async () => {
    const unchanged = await topo("plan", file, "--target", "compose", "-o", "json");
    expect(unchanged.code === 0 ? "exit 0" : unchanged.stderr).toBe("exit 0");
    expect(JSON.parse(unchanged.stdout).plans[0].tasks).toBeUndefined();
    const other = join(dir, "shop-next.yaml");
    writeFileSync(other, stringify(shop(name, { migrate: "echo migrating to 43", api: { RELEASE: "2" } })));
    const changed = await topo("plan", other, "--target", "compose");
    expect(changed.code === 0 ? "exit 0" : changed.stderr).toBe("exit 0");
    expect(changed.stdout).toMatch(/Tasks that run: migrate/);
  });

  it("fails the revision when the task fails, shows its last log lines, and rolls back without running it", async () => {
    const api = await inspect("api");
    writeFileSync(
      file,
      stringify(
        shop(name, { migrate: 'echo "ERROR: column email already exists" >&2; exit 3', api: { RELEASE: "3" } }),
      ),
    );
    const up = await topo("up", file);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/revision 3 failed: service migrate: the task exited with code 3/);
    expect(up.stderr).toMatch(/last log lines of migrate:\n(?:.*\n){0,3}.*ERROR: column email already exists/);
    expect(up.stderr).toMatch(/rolled back to revision 2, which is healthy again/);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    // api never started revision 3; the rollback ran no task (the failed one's container stays, for its logs).
    expect((await inspect("api")).Id).toBe(api.Id);
    expect((await inspect("migrate")).State).toMatchObject({ Status: "exited", ExitCode: 3 });
    const status = JSON.parse((await topo("status", file, "-o", "json")).stdout);
    expect(status).toMatchObject({ revision: 2, lastGoodRevision: 2 });
    expect(status.history.at(-1)).toMatchObject({
      revision: 3,
      outcome: "RolledBack",
      reason: "revision 3 failed: service migrate: the task exited with code 3",
    });
  });
});
