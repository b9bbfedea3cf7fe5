// The model of a task node: its defaults and the rules that keep it a run-to-completion node.
import { parseTopology } from "./parse.ts";
import { formatPath } from "./topology.ts";

const topology = (nodes: Record<string, unknown>[], spec: Record<string, unknown> = {}) => ({
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { name: "shop" },
  spec: { nodes, ...spec },
});
const db = { name: "db", image: "postgres:16", ports: [{ name: "pg", port: 5432 }] };
const migrate = (extra: Record<string, unknown> = {}) => ({
  name: "migrate",
  image: "migrate:1",
  command: ["alembic", "upgrade", "head"],
  task: {},
  dependsOn: ["db"],
  ...extra,
});
const issues = (input: unknown) => {
  const r = parseTopology(input);
  return r.ok ? [] : r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
};
const warnings = (input: unknown) =>
  parseTopology(input).warnings.map((i) => `${formatPath(i.path)}: ${i.message}`);

describe("a task node", () => {
  it("takes the defaults when `task: {}`: no retry, five minutes", () => {
    const r = parseTopology(topology([db, migrate()]));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.topology.nodes[1]!.task).toEqual({ retries: 0, timeout: "5m" });
    expect(r.topology.nodes[0]!.task).toBeUndefined();
  });

  it("keeps the retries and timeout it is given", () => {
    const r = parseTopology(topology([db, migrate({ task: { retries: 2, timeout: "90s" } })]));
    expect(r.ok && r.topology.nodes[1]!.task).toEqual({ retries: 2, timeout: "90s" });
  });

  it.each([
    [
      { ports: [{ name: "http", port: 80 }] },
      'spec.nodes[1].ports: node "migrate" is a task: it has no ports',
    ],
    [
      { health: { exec: { command: ["true"] } } },
      'spec.nodes[1].health: node "migrate" is a task: it has no health check (it succeeds when its command exits 0)',
    ],
    [{ replicas: 2 }, 'spec.nodes[1].replicas: node "migrate" is a task: it runs exactly 1 replica, not 2'],
    [{ replicas: 0 }, 'spec.nodes[1].replicas: node "migrate" is a task: it runs exactly 1 replica, not 0'],
  ])("refuses %j, saying why at the field", (extra, message) => {
    expect(issues(topology([db, migrate(extra)]))).toEqual([expect.stringContaining(message)]);
  });

  it("refuses a connectsTo to a task and says to use dependsOn", () => {
    const api = { name: "api", image: "api:1", connectsTo: ["migrate"] };
    expect(issues(topology([db, migrate(), api]))).toEqual([
      'spec.nodes[2].connectsTo[0]: node "api" cannot connect to "migrate": it is a task, which runs to completion and has no ports; to start after it, use dependsOn',
    ]);
  });

  it("does not take ports, health or replicas from spec.defaults, but does take the rest", () => {
    const r = parseTopology(
      topology([db, migrate()], {
        defaults: {
          replicas: 2,
          ports: [{ name: "metrics", port: 9100 }],
          health: { exec: { command: ["true"] } },
          env: [{ name: "LOG_LEVEL", value: "info" }],
          resources: { cpu: "100m" },
        },
      }),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const task = r.topology.nodes[1]!;
    expect(task).toMatchObject({ replicas: 1, ports: [], env: [{ name: "LOG_LEVEL", value: "info" }] });
    expect(task.health).toBeUndefined();
    expect(task.resources).toEqual({ cpu: "100m" });
  });

  it("cannot be a default", () => {
    expect(issues(topology([db], { defaults: { task: {} } }))).toEqual([
      'spec.defaults.task: unknown field "task"',
    ]);
  });

  it.each([
    [{ retries: -1 }, "spec.nodes[1].task.retries: must be at least 0"],
    [{ timeout: "soon" }, "spec.nodes[1].task.timeout: must be a duration such as 500ms, 10s or 2m"],
    [{ retrys: 1 }, 'spec.nodes[1].task.retrys: unknown field "retrys" (did you mean "retries"?)'],
  ])("refuses task %j", (task, message) => {
    expect(issues(topology([db, migrate({ task })]))).toContain(message);
  });

  it("warns that a rollback does not undo it, and not that a node depending on it cannot connect to it", () => {
    const api = { name: "api", image: "api:1", ports: [{ name: "http", port: 80 }], dependsOn: ["migrate"] };
    expect(warnings(topology([db, migrate(), api]))).toEqual([
      expect.stringMatching(
        /^spec\.nodes\[1\]\.task: task "migrate" runs once per revision that changes it, and a rollback does not undo it: .* backward compatible .*expand\/contract/,
      ),
    ]);
  });
});
