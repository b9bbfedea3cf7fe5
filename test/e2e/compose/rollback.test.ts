// `topo rollback FILE` and `topo history FILE` on the real Docker engine with the local images, with Compose
// v2 and with docker-compose 1.29: a rollback by hand returns a healthy earlier release from its kept compose
// file and the images already on the machine, `topo up` rolls forward again, and a revision no longer kept
// (or an image no longer here) changes nothing.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { record } from "../support/measure.ts";
import { containerId, docker, ROOT, sh } from "./shell.ts";



/** Release `n` of a two-node lab: api changes in every release, db from release 3 on. */
function lab(name: string, release: number, apiImage = "topo/testsvc:local") {
  const health = { interval: "1s", timeout: "2s", retries: 3 };
  return {
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name },
    spec: {
      rollout: { progressDeadlineSeconds: 60, historyLimit: 3 },
      nodes: [
        {
          name: "db",
          image: "topo/testsvc:local",
          ports: [{ name: "http", port: 8080 }],
          env: [{ name: "RELEASE", value: release >= 3 ? "3" : "1" }],
          health: { ...health, tcp: { port: "http" } },
        },
        {
          name: "api",
          image: apiImage,
          ports: [{ name: "http", port: 8080 }],
          dependsOn: ["db"],
          env: [{ name: "RELEASE", value: String(release) }],
          health: { ...health, http: { path: "/healthz", port: "http" } },
        },
      ],
    },
  };
}

describe.each([["v2"], ["v1"]])("topo rollback with compose %s", (compose) => {
  const dir = mkdtempSync(join(tmpdir(), `topo-rollback-${compose}-`));
  const name = `rb-${compose}-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "lab.yaml");
  const gone = `topo/testsvc:gone-${name}`;
  const env = { ...process.env, TOPO_COMPOSE: compose };
  const topo = (...args: string[]) =>
    sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], env);
  const containerOf = (service: string) => containerId(name, service);
  /** Each service's container id, RELEASE, health and image, as the engine reports them. */
  type Running = { id: string; release: string; health?: string; image: string };
  const running = async (): Promise<Record<string, Running>> =>
    Object.fromEntries(
      await Promise.all(
        ["db", "api"].map(async (service) => {
          const id = await containerOf(service);
          const c = JSON.parse((await docker("inspect", id)).stdout)[0] as {
            Id: string;
            Config: { Env: string[]; Image: string };
            State: { Health?: { Status: string } };
          };
          const release = c.Config.Env.find((e) => e.startsWith("RELEASE="))!.slice("RELEASE=".length);
          return [service, { id: c.Id, release, health: c.State.Health?.Status, image: c.Config.Image }];
        }),
      ),
    );
  const releases = (r: Record<string, Running>) =>
    Object.fromEntries(Object.entries(r).map(([s, c]) => [s, c.release]));
  const up = async (release: number, apiImage?: string) => {
    writeFileSync(file, stringify(lab(name, release, apiImage)));
    const r = await topo("up", file);
    expect(r.code === 0 ? "exit 0" : r.stderr).toBe("exit 0");
  };
  const state = () =>
    JSON.parse(readFileSync(join(dir, ".topo", name, "state.json"), "utf8")) as {
      revision: number;
      lastGoodRevision: number;
      history: { revision: number; outcome: string; trigger?: string; from?: number; recoverySeconds?: number }[];
    };

  afterAll(async () => {
    await topo("down", file, "--volumes");
    await docker("rmi", gone);
  });

  it("returns the previous healthy release from its kept file, and topo up rolls forward again", async () => {
    for (const release of [1, 2, 3]) await up(release);
    expect(releases(await running())).toEqual({ db: "3", api: "3" });

    const listed = await topo("history", file);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${name}: revision 3 \\(last good 3\\); kept: 1, 2, 3\\n`));
    expect(listed.stdout).toMatch(/\n3 +\S+ +spec +Succeeded +- +db=topo\/testsvc:local,api=topo\/testsvc:local\n/);

    // The request: from the command's start to every node healthy on revision 2 (db and api both change).
    const started = Date.now();
    const back = await topo("rollback", file);
    const seconds = (Date.now() - started) / 1000;
    expect(back.stderr).toContain(`rolling back ${name} from revision 3 to revision 2 with compose ${compose}`);
    expect(back.stderr).not.toMatch(/pull|\n\s+at /i);
    expect(back.stdout).toMatch(
      new RegExp(`^${name}: rolled back to revision 2 \\(from revision 3\\); every node is healthy, [0-9.]+s after the request`),
    );
    expect(back.code).toBe(0);
    expect(seconds).toBeLessThan(120);
    const two = await running();
    expect(releases(two)).toEqual({ db: "1", api: "2" });
    expect([two.db!.health, two.api!.health]).toEqual(["healthy", "healthy"]);
    const health = await docker("exec", two.api!.id, "wget", "-qO-", "http://127.0.0.1:8080/healthz");
    expect(health.stdout.trim()).toBe("ok");
    const s = state();
    expect(s).toMatchObject({ revision: 2, lastGoodRevision: 2 });
    expect(s.history.at(-1)).toMatchObject({ revision: 2, outcome: "Succeeded", trigger: "manual", from: 3 });
    expect(s.history.at(-1)!.recoverySeconds).toBeLessThanOrEqual(seconds);
    record(`manual rollback, compose ${compose}`, {
      requestToHealthySeconds: seconds,
      recoverySeconds: s.history.at(-1)!.recoverySeconds!,
      nodesChanged: 2,
    });

    // --to any kept revision that ran healthy: 1.
    const one = await topo("rollback", file, "--to", "1");
    expect(one.code === 0 ? "exit 0" : one.stderr).toBe("exit 0");
    expect(releases(await running())).toEqual({ db: "1", api: "1" });
    expect(state().history.at(-1)).toMatchObject({ revision: 1, trigger: "manual", from: 2 });

    // topo up of the file (release 3) rolls forward, as a new revision.
    const forward = await topo("up", file);
    expect(forward.code === 0 ? "exit 0" : forward.stderr).toBe("exit 0");
    expect(forward.stdout).toContain(`${name}: revision 4 is healthy`);
    expect(releases(await running())).toEqual({ db: "3", api: "3" });
    const history = await topo("history", file);
    expect(history.stdout).toMatch(/\n2 +\S+ +rollback from 3 +Succeeded +[0-9.]+s /);
    expect(history.stdout).toMatch(/\n1 +\S+ +rollback from 2 +Succeeded +[0-9.]+s /);
  });

  it("changes nothing for a revision no longer kept, or one whose image is no longer on the machine", async () => {
    // historyLimit 3 counts revisions: 4, 1 and 2 are the last three in the history, so 3 went.
    const before = await running();
    const pruned = await topo("rollback", file, "--to", "3");
    expect(pruned.stderr).toBe(
      "topo: revision 3 is no longer kept (kept: 1, 2, 4; rollout.historyLimit is 3); nothing was changed\n",
    );
    expect(pruned.code).toBe(1);
    expect(await running()).toEqual(before);

    // Revision 5 runs an image tag that is then removed: a rollback to it needs a registry, so it is refused.
    await docker("tag", "topo/testsvc:local", gone);
    await up(5, gone);
    await up(6);
    expect((await docker("rmi", gone)).code).toBe(0);
    const after = await running();
    const missing = await topo("rollback", file, "--to", "5");
    expect(missing.stderr).toBe(
      `topo: node api: image ${gone} of revision 5 is not on this machine (a rollback uses only images already here); nothing was changed\n`,
    );
    expect(missing.code).toBe(1);
    expect(await running()).toEqual(after);
    expect(state().revision).toBe(6);
  });
});
