// `topo history` and `topo rollback` in-process: arguments, the state kept beside FILE, refusals that need
// neither a Docker engine nor a cluster, and the operator's answers as the CLI reads them.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { topo } from "../../../test/unit/topo.ts";
import { verdictOf, type ClusterTopology } from "./cluster-topology.ts";
import { formatHistory } from "./history.ts";

const dir = mkdtempSync(join(tmpdir(), "topo-rollback-"));
const file = join(dir, "lab.yaml");
writeFileSync(
  file,
  stringify({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: "lab" },
    spec: { nodes: [{ name: "api", image: "api:3" }], rollout: { historyLimit: 2 } },
  }),
);
const state = join(dir, "state");
const env = { TOPO_STATE_DIR: state, HOME: dir };
const run = (...args: string[]) => topo(args, "", { env, cwd: dir });

/** A state directory as `topo up` leaves it after revisions 1..4 of api (4 rolled back), 1 pruned. */
function seed(): void {
  const lab = join(state, "lab");
  for (const r of [2, 3, 4]) {
    mkdirSync(join(lab, "revisions", String(r)), { recursive: true });
    writeFileSync(
      join(lab, "revisions", String(r), "docker-compose.yml"),
      stringify({ services: { api: { image: `api:${r}` } } }),
    );
  }
  const at = (s: number) => new Date(Date.UTC(2030, 0, 2, 3, 4, s)).toISOString();
  writeFileSync(
    join(lab, "state.json"),
    JSON.stringify({
      topology: "lab",
      file,
      revision: 3,
      lastGoodRevision: 3,
      history: [
        { revision: 1, hash: "h1", outcome: "Succeeded", at: at(1) },
        { revision: 2, hash: "h2", outcome: "Succeeded", at: at(2) },
        { revision: 3, hash: "h3", outcome: "Succeeded", at: at(3), images: { api: "api:3" } },
        {
          revision: 4,
          hash: "h4",
          outcome: "RolledBack",
          at: at(4),
          reason: "revision 4 failed: service api: its health check fails",
          rollbackAt: at(4),
          recoverySeconds: 2.5,
        },
      ],
    }),
  );
}

describe("topo history FILE", () => {
  beforeAll(seed);

  it("lists every attempt with its images, read from the kept compose file when not recorded", async () => {
    const r = await run("history", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "lab: revision 3 (last good 3); kept: 2, 3, 4",
      "REVISION  AT                    TRIGGER  OUTCOME     RECOVERY  IMAGES     REASON",
      "1 (gone)  2030-01-02T03:04:01Z  spec     Succeeded   -         -",
      "2         2030-01-02T03:04:02Z  spec     Succeeded   -         api=api:2",
      "3         2030-01-02T03:04:03Z  spec     Succeeded   -         api=api:3",
      "4         2030-01-02T03:04:04Z  spec     RolledBack  2.5s      api=api:4  revision 4 failed: service api: its health check fails",
      "",
    ]);
  });

  it("prints the state and the kept revisions as JSON with -o json", async () => {
    const r = await run("history", file, "-o", "json");
    expect(JSON.parse(r.stdout)).toMatchObject({ revision: 3, kept: [2, 3, 4], history: { length: 4 } });
  });

  it("says how to start a topology that never ran here", async () => {
    const other = join(dir, "other.yaml");
    writeFileSync(
      other,
      stringify({
        apiVersion: "topo.dev/v1alpha1",
        kind: "Topology",
        metadata: { name: "other" },
        spec: { nodes: [{ name: "a", image: "a:1" }] },
      }),
    );
    const r = await run("history", other);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `topo: other has not been started here (no state in ${join(state, "other")}); run \`topo up ${other}\`\n`,
    );
  });
});

describe("topo rollback FILE", () => {
  beforeAll(seed);

  it.each([
    {
      name: "refuses a revision no longer kept in one line, exit 1, before asking the engine",
      args: ["--to", "1"],
      stderr:
        "topo: revision 1 is no longer kept (kept: 2, 3, 4; rollout.historyLimit is 2); nothing was changed\n",
    },
    {
      name: "refuses a revision that never ran healthy",
      args: ["--to", "4"],
      stderr:
        "topo: revision 4 never ran healthy (RolledBack), so there is no good release to return to; nothing was changed\n",
    },
    {
      name: "refuses a revision there never was",
      args: ["--to", "9"],
      stderr: "topo: there is no revision 9 (kept: 2, 3, 4); nothing was changed\n",
    },
  ])("$name", async ({ args, stderr }) => {
    const r = await run("rollback", file, ...args);
    expect(r.stderr).toBe(stderr);
    expect(r.code).toBe(1);
  });

  it.each([
    { args: ["rollback"], message: "topo: rollback takes exactly one FILE or NAME\n" },
    {
      args: ["rollback", "lab.yaml", "--to", "two"],
      message: 'topo: --to takes a revision number, not "two"\n',
    },
    { args: ["rollback", "lab.yaml", "--to", "0"], message: 'topo: --to takes a revision number, not "0"\n' },
    {
      args: ["rollback", "lab.yaml", "--release"],
      message: "topo: --release is for a Topology in the cluster; on Compose, `topo up FILE` rolls forward\n",
    },
    {
      args: ["rollback", "-"],
      message: "topo: rollback reads the state kept beside FILE, so FILE cannot be standard input\n",
    },
    { args: ["history", "lab.yaml", "-o", "yaml"], message: "topo: -o accepts only json\n" },
    {
      args: ["rollback", "lab.yaml", "-n", "default"],
      message: 'topo: "lab.yaml" is not a Topology name (with -n, the argument is a NAME in the cluster)\n',
    },
  ])("exits 2 with the usage for $args", async ({ args, message }) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(message)).toBe(true);
    expect(r.stderr).toContain("Usage: topo ");
  });

  it("says a missing file is missing rather than taking it for a Topology name", async () => {
    const r = await run("rollback", "nope.yaml");
    expect(r).toMatchObject({ code: 1, stderr: "topo: nope.yaml: no such file\n" });
  });
});

describe("topo rollback NAME and topo history NAME (the cluster)", () => {
  it("takes a name that is no file for a Topology, and says when there is no cluster to ask", async () => {
    const r = await run("history", "shop");
    expect(r).toMatchObject({
      code: 1,
      stderr:
        'topo: no cluster to talk to about Topology "shop": set KUBECONFIG, or give a topology FILE for Compose\n',
    });
  });

  it("names a kubeconfig it cannot read", async () => {
    const r = await topo(["rollback", "shop", "-n", "prod", "--to", "2"], "", {
      env: { KUBECONFIG: join(dir, "missing-kubeconfig") },
      cwd: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^topo: cannot read the kubeconfig \S+missing-kubeconfig: /);
  });
});

describe("verdictOf: the operator's answer to a rollback by hand, from status", () => {
  const t = (status: ClusterTopology["status"]): ClusterTopology => ({
    metadata: { name: "shop", namespace: "prod" },
    status,
  });
  const entry = (outcome: "Progressing" | "Succeeded" | "Failed", revision = 2) => ({
    revision,
    images: {},
    outcome,
    at: "2030-01-02T03:04:05Z",
    trigger: "manual" as const,
    from: 3,
  });
  const pinned = (message: string) => ({
    type: "Pinned",
    status: "False" as const,
    reason: "RollbackRefused",
    message,
    lastTransitionTime: "2030-01-02T03:04:05Z",
  });

  it.each([
    {
      name: "waits while the manual entry rolls out",
      status: { history: [entry("Progressing")] },
      kind: undefined,
    },
    {
      name: "is ready once the manual entry succeeded",
      status: { history: [entry("Succeeded")] },
      kind: "ready",
    },
    {
      name: "is failed when the manual entry failed",
      status: { history: [entry("Failed")] },
      kind: "failed",
    },
    {
      name: "waits when the latest entry is another revision's",
      status: { history: [entry("Succeeded", 1)] },
      kind: undefined,
    },
    {
      name: "is refused when the Pinned condition refuses this revision",
      status: {
        conditions: [pinned("topo.dev/rollback-to refused: revision 2 is not kept (x); nothing was changed")],
      },
      kind: "refused",
    },
    {
      name: "ignores a refusal of another revision",
      status: { conditions: [pinned("topo.dev/rollback-to refused: revision 21 is not kept")] },
      kind: undefined,
    },
  ])("$name", ({ status, kind }) => {
    expect(verdictOf(t(status as ClusterTopology["status"]), 2)?.kind).toBe(kind);
  });

  it("gives the refusal as the operator wrote it", () => {
    const v = verdictOf(
      t({
        conditions: [
          pinned(
            "pinned to revision 1 by topo.dev/rollback-to: held; topo.dev/rollback-to refused: revision 2 is not kept",
          ),
        ],
      }),
      2,
    );
    expect(v).toEqual({ kind: "refused", message: "topo.dev/rollback-to refused: revision 2 is not kept" });
  });
});

describe("formatHistory", () => {
  it("names a rollback by hand and the revision it came from, with its recovery", () => {
    const text = formatHistory([
      {
        revision: 1,
        at: "2030-01-02T03:04:05.123Z",
        outcome: "Succeeded",
        trigger: "manual",
        from: 3,
        recoverySeconds: 4.25,
        images: { api: "api:1", db: "db:1" },
      },
    ]);
    expect(text.split("\n")[1]).toBe(
      "1         2030-01-02T03:04:05Z  rollback from 3  Succeeded  4.3s      api=api:1,db=db:1",
    );
  });
});
