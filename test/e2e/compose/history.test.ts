// `topo up` on the real Docker engine records its revisions into the SQLite history store, and
// `topo history FILE --since` reads them back from there.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { openStore } from "../../../operator/src/history/store.ts";
import { ROOT, sh } from "./shell.ts";

const lab = (name: string, release: string, env: Record<string, string> = {}) => ({
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { name },
  spec: {
    rollout: { progressDeadlineSeconds: 60 },
    nodes: [
      {
        name: "api",
        image: "topo/testsvc:local",
        ports: [{ name: "http", port: 8080 }],
        env: [{ name: "RELEASE", value: release }, ...Object.entries(env).map(([n, value]) => ({ name: n, value }))],
        health: { interval: "1s", timeout: "2s", retries: 3, http: { path: "/healthz", port: "http" } },
      },
    ],
  },
});

describe("topo up's history in SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "topo-history-up-"));
  const name = `hist-${Math.random().toString(36).slice(2, 6)}`;
  const file = join(dir, "lab.yaml");
  const url = `sqlite:${join(dir, "history.db")}`;
  const topo = (...args: string[]) =>
    sh(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], { ...process.env, TOPO_HISTORY_URL: url });
  afterAll(async () => {
    await topo("down", file);
    rmSync(dir, { recursive: true, force: true });
  });

  it("records every revision topo up runs, trigger up, with its outcome, and topo history --since reads them", async () => {
    for (const release of ["1", "2"]) {
      writeFileSync(file, stringify(lab(name, release)));
      const up = await topo("up", file);
      expect([up.code, up.stderr]).toEqual([0, expect.not.stringContaining("warning: the history store")]);
    }
    const store = await openStore(url);
    try {
      const records = await store.query({ target: "compose", namespace: "local", topology: name });
      const revisions = records.filter((r) => r.kind === "revision");
      expect(revisions.map((r) => [r.revision, (r.data as { trigger: string }).trigger])).toEqual([
        [1, "up"],
        [2, "up"],
      ]);
      expect(records.filter((r) => r.kind === "outcome").map((r) => (r.data as { outcome: string }).outcome)).toEqual([
        "Succeeded",
        "Succeeded",
      ]);
      expect(new Set(revisions.map((r) => (r.data as { hash: string }).hash)).size).toBe(2);
    } finally {
      await store.close();
    }
    // Up again with nothing changed: the same records, none repeated.
    expect((await topo("up", file)).code).toBe(0);
    const history = await topo("history", file, "--since", "1h", "-o", "json");
    expect(history.code).toBe(0);
    const printed = JSON.parse(history.stdout) as { history: { revision: number; outcome: string }[] };
    expect(printed.history.map((h) => h.revision)).toEqual([1, 2, ...(printed.history.length > 2 ? [2] : [])]);
    expect(printed.history.every((h) => h.outcome === "Succeeded")).toBe(true);
    const table = await topo("history", file, "--since", "1h");
    expect(table.stdout).toMatch(new RegExp(`local/${name}: \\d revisions since`));
    expect(await topo("history", file, "--since", "yesterday")).toMatchObject({ code: 2 });
  });

  it("records a release that fails and its rollback, with each node's phase changes: Failed, then RolledBack", async () => {
    writeFileSync(file, stringify(lab(name, "3", { FAIL_HEALTH: "1" })));
    const up = await topo("up", file);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/rolled back to revision 2/);
    const store = await openStore(url);
    try {
      const phases = (await store.query({ target: "compose", namespace: "local", topology: name })).filter(
        (r) => r.kind === "phase" && r.node === "api",
      );
      const of = (revision: number) =>
        phases.filter((r) => r.revision === revision).map((r) => (r.data as { phase: string }).phase);
      expect(of(1)).toEqual(["Progressing", "Ready"]);
      const rollback = (await store.query({ target: "compose", namespace: "local", topology: name })).filter(
        (r) => r.kind === "rollback",
      );
      expect(rollback.map((r) => r.data)).toEqual([
        expect.objectContaining({ trigger: "automatic", from: 3, to: 2, recoverySeconds: expect.any(Number) }),
      ]);
      expect(of(3)).toEqual(["Progressing", "Failed", "Progressing", "RolledBack"]);
      const times = phases.map((r) => Date.parse(r.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      // The last transition says where it came from.
      expect(phases.at(-1)!.data).toMatchObject({ phase: "RolledBack", from: "Progressing" });
    } finally {
      await store.close();
    }
  });
});
