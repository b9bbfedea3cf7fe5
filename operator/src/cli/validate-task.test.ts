// `topo validate` on task nodes: errors at FILE:LINE:COL, and the rollback warning every task gets.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { topo } from "../../../test/unit/topo.ts";

const dir = mkdtempSync(join(tmpdir(), "topo-task-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const SHOP = (migrate: string) => `apiVersion: topo.dev/v1alpha1
kind: Topology
metadata:
  name: shop
spec:
  nodes:
    - name: db
      image: postgres:16
      ports: [{ name: pg, port: 5432 }]
    - name: migrate
      image: shop:2
      command: [alembic, upgrade, head]
${migrate}      dependsOn: [db]
    - name: api
      image: shop:2
      ports: [{ name: http, port: 8000 }]
      dependsOn: [migrate]
`;

describe("topo validate with a task", () => {
  it("warns that a rollback does not undo the task and that it must be backward compatible, and exits 0", async () => {
    const path = file("ok.yaml", SHOP("      task: { retries: 2, timeout: 5m }\n"));
    const r = await topo(["validate", path]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `${path}:13:7: warning: spec\\.nodes\\[1\\]\\.task: task "migrate" runs once per revision that changes it, and a rollback does not undo it`,
      ),
    );
    expect(r.stderr).toContain("backward compatible");
    expect(r.stderr).toContain("expand/contract");
    expect(r.stderr).not.toContain("left out of");
  });

  it("refuses a task with ports at the line of its ports", async () => {
    const path = file("ports.yaml", SHOP("      task: {}\n      ports: [{ name: metrics, port: 9100 }]\n"));
    const r = await topo(["validate", path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${path}:14:7: spec.nodes[1].ports: node "migrate" is a task: it has no ports (it runs to completion and nothing connects to it)`,
    );
  });
});
