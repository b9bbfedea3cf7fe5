// Every compose file the renderer makes must be accepted by both Compose implementations Topo supports:
// Debian's docker-compose 1.29 and the Compose v2 plugin, checked with `config` (no container starts).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Topology } from "../../../operator/src/api/topology.ts";
import { renderComposeYaml, secretVariables } from "../../../operator/src/render/compose/index.ts";
import { EXAMPLES, loadExample, resolve } from "../../unit/fixtures.ts";
import { COUNTS, SHAPES, shapeTopology } from "./shapes.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "topo-compose-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything the renderer can write: every field, UDP, replicas 0, a host port range, a `$` to escape, two secrets. */
const everything = resolve(
  {
    nodes: [
      {
        name: "db",
        image: "postgres:16",
        ports: [{ name: "pg", port: 5432 }],
        env: [
          { name: "PASSWORD", secretRef: { name: "db-secrets", key: "password" } },
          { name: "LITERAL", value: "costs $5 and ${NOT_A_VAR}" },
        ],
        health: {
          exec: { command: ["sh", "-c", 'test -n "$PGDATA"'] },
          interval: "500ms",
          startPeriod: "5s",
        },
        volumes: [{ name: "data", mountPath: "/var/lib/postgresql/data", size: "1Gi" }],
      },
      {
        name: "api",
        image: "api:1",
        command: ["gunicorn"],
        args: ["--bind", "0.0.0.0:8080"],
        ports: [
          { name: "http", port: 8080, hostPort: 18080 },
          { name: "dns", port: 53, protocol: "UDP", hostPort: 10053 },
          { name: "stats", port: 9000, protocol: "UDP" },
        ],
        env: [{ name: "TOKEN", secretRef: { name: "api-keys", key: "tls.key" } }],
        health: { http: { path: "/healthz?full=1", port: "http" }, timeout: "1.5s" },
        dependsOn: ["db", "batch"],
        connectsTo: ["cache"],
      },
      // Replicated with a hostPort: published as the range 16379-16381, one port per container.
      { name: "cache", image: "redis:7", replicas: 3, ports: [{ name: "r", port: 6379, hostPort: 16379 }] },
      { name: "batch", image: "job:1", health: { tcp: { port: 1 } }, ports: [{ name: "p", port: 1 }] },
      { name: "idle", image: "busybox:1.36", replicas: 0 },
    ],
  },
  { name: "everything" },
);

const cases: [string, Topology][] = [
  ...EXAMPLES.map((name): [string, Topology] => [name, loadExample(name)]),
  ["everything", everything],
  ["everything-open", { ...everything, name: "everything-open", isolation: "none" }],
  ...SHAPES.flatMap((s) => COUNTS.map((c): [string, Topology] => [`${s}-${c}`, shapeTopology(s, c)])),
];

/** Writes the compose file and a mode-0600 env file with a dummy value for every secret variable. */
function files(
  name: string,
  topology: Topology,
): { compose: string; composeV1: string; env: string; dummies: Map<string, string> } {
  const compose = join(dir, `${name}.yml`);
  const composeV1 = join(dir, `${name}.v1.yml`);
  const env = join(dir, `${name}.env`);
  const dummies = new Map(
    secretVariables(topology).map((v) => [v.variable, `dummy-${v.variable.toLowerCase()}`]),
  );
  writeFileSync(compose, renderComposeYaml(topology));
  // As topo up renders it for docker-compose 1.29: a node's content files as binds, not configs.
  writeFileSync(composeV1, renderComposeYaml(topology, { compose: "v1" }));
  writeFileSync(env, [...dummies].map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
  return { compose, composeV1, env, dummies };
}

// Only what the tests pass: no TOPO_SECRET_* from the developer's shell can hide a missing one.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith("TOPO_SECRET_")),
);

describe.each(cases)("compose file for %s", (name, topology) => {
  const { compose, composeV1, env, dummies } = files(name, topology);

  it("is accepted by docker-compose 1.29 without warnings", async () => {
    const r = await run(
      "docker-compose",
      ["-p", topology.name, "--env-file", env, "-f", composeV1, "config", "-q"],
      {
        env: cleanEnv,
      },
    );
    expect(r.stderr).toBe("");
  });

  it("is accepted by docker compose v2, which sees the secrets from the env file", async () => {
    const args = ["compose", "-p", topology.name, "--env-file", env, "-f", compose, "config"];
    const quiet = await run("docker", [...args, "-q"], { env: cleanEnv });
    expect(quiet.stderr).toBe("");
    const json = JSON.parse((await run("docker", [...args, "--format", "json"], { env: cleanEnv })).stdout);
    expect(Object.keys(json.services).sort()).toEqual(topology.nodes.map((n) => n.name).sort());
    for (const v of secretVariables(topology))
      for (const use of v.usedBy)
        expect(json.services[use.node].environment[use.env]).toBe(dummies.get(v.variable));
  });
});
