import { parse } from "yaml";
import { EXAMPLES, loadExample, resolve } from "../../../../test/unit/fixtures.ts";
import { expectGolden } from "../../../../test/unit/golden.ts";
import {
  formatEnvExample,
  renderCompose,
  renderComposeYaml,
  secretVariableName,
  secretVariables,
  SecretVariableConflictError,
} from "./index.ts";
import { renderResources } from "./service.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads arbitrary rendered fields
type Service = Record<string, any>;
const services = (doc: ReturnType<typeof renderCompose>) => doc.services as Record<string, Service>;

const topology = resolve(
  {
    nodes: [
      {
        name: "db",
        image: "postgres:16",
        ports: [{ name: "pg", port: 5432 }],
        env: [
          { name: "PASSWORD", secretRef: { name: "db-secrets", key: "password" } },
          { name: "PGDATA_NOT_SECRET", value: "/data/$HOME" },
        ],
        health: { tcp: { port: "pg" }, interval: "500ms", startPeriod: "5s" },
        volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }],
      },
      {
        name: "api",
        image: "api:1",
        command: ["gunicorn"],
        args: ["--bind", "0.0.0.0:8080"],
        ports: [
          { name: "http", port: 8080, hostPort: 18080 },
          { name: "dns", port: 53, protocol: "UDP" },
        ],
        env: [{ name: "TOKEN", secretRef: { name: "api-keys", key: "tls-key.pem" } }],
        health: { http: { path: "/healthz", port: 8080 }, timeout: "1.5s", retries: 7 },
        dependsOn: ["db", "batch"],
        connectsTo: ["cache"],
      },
      { name: "cache", image: "redis:7", replicas: 3, args: ["--save", ""], ports: [{ name: "r", port: 6379 }] },
      { name: "batch", image: "job:1", command: ["run"], health: { exec: { command: ["test", "-f", "/ok"] } } },
      { name: "lonely", image: "busybox", replicas: 0 },
    ],
  },
  { name: "shop" },
);

describe("renderCompose", () => {
  it.each(EXAMPLES)("renders the %s example as its golden file", (name) => {
    expectGolden(`${name}.compose.yaml`, renderComposeYaml(loadExample(name)));
  });

  it("is deterministic: the same input gives byte-identical output", () => {
    expect(renderComposeYaml(loadExample("connector-lab"))).toBe(renderComposeYaml(loadExample("connector-lab")));
  });

  it("maps command to entrypoint and args to command, each only when set, as Kubernetes does", () => {
    const s = services(renderCompose(topology));
    expect([s.api!.entrypoint, s.api!.command]).toEqual([["gunicorn"], ["--bind", "0.0.0.0:8080"]]);
    expect(s.cache).not.toHaveProperty("entrypoint");
    expect(s.cache!.command).toEqual(["--save", ""]);
    expect(s.batch!.entrypoint).toEqual(["run"]);
    expect(s.batch).not.toHaveProperty("command");
    expect(s.lonely).not.toHaveProperty("entrypoint");
  });

  it("sets TOPO_ variables first, with peers as <topology>-<node>:firstPort in declaration order", () => {
    const env = services(renderCompose(topology)).api!.environment;
    expect(Object.entries(env).slice(0, 3)).toEqual([
      ["TOPO_TOPOLOGY", "shop"],
      ["TOPO_NODE", "api"],
      ["TOPO_PEERS", "shop-cache:6379,shop-db:5432"],
    ]);
    expect(services(renderCompose(topology)).lonely!.environment.TOPO_PEERS).toBe("");
  });

  it("writes secret references as ${TOPO_SECRET_<NAME>_<KEY>} interpolations", () => {
    const s = services(renderCompose(topology));
    expect(s.db!.environment.PASSWORD).toBe("${TOPO_SECRET_DB_SECRETS_PASSWORD}");
    expect(s.api!.environment.TOKEN).toBe("${TOPO_SECRET_API_KEYS_TLS_KEY_PEM}");
  });

  it("never writes a secret's key or value: only variable names and secret names appear", () => {
    const secret = resolve({
      nodes: [{ name: "a", image: "x", env: [{ name: "S", secretRef: { name: "vault", key: "hunter2-key" } }] }],
    });
    const yaml = renderComposeYaml(secret);
    expect(yaml).not.toContain("hunter2");
    expect(yaml).toContain("${TOPO_SECRET_VAULT_HUNTER2_KEY}");
    expect(renderCompose(secret)["x-topo"].nodes[0]!.secretRefs).toEqual(["vault"]);
  });

  it("escapes $ in literal values so Compose does not interpolate them", () => {
    const s = services(renderCompose(topology));
    expect(s.db!.environment.PGDATA_NOT_SECRET).toBe("/data/$$HOME");
  });

  it("publishes hostPorts with the long syntax and exposes the other ports", () => {
    const s = services(renderCompose(topology));
    expect(s.api!.ports).toEqual([{ target: 8080, published: 18080, protocol: "tcp" }]);
    expect(s.api!.expose).toEqual(["53/udp"]);
    expect(s.db!.expose).toEqual(["5432"]);
    expect(s.db).not.toHaveProperty("ports");
    expect(s.batch).not.toHaveProperty("expose");
  });

  it("publishes a replicated node on a host port range, one port per replica, in the short syntax", () => {
    const web = resolve({
      nodes: [
        {
          name: "web",
          image: "web:1",
          replicas: 3,
          ports: [
            { name: "http", port: 8000, hostPort: 18000 },
            { name: "dns", port: 53, protocol: "UDP", hostPort: 10053 },
          ],
        },
        { name: "one", image: "web:1", ports: [{ name: "http", port: 8000, hostPort: 18003 }] },
      ],
    });
    const s = services(renderCompose(web));
    expect(s.web!.ports).toEqual(["18000-18002:8000/tcp", "10053-10055:53/udp"]);
    expect(s.web!.deploy).toEqual({ replicas: 3 });
    expect(s.one!.ports).toEqual([{ target: 8000, published: 18003, protocol: "tcp" }]);
  });

  it("can leave hostPorts unpublished, e.g. for parallel test runs", () => {
    const s = services(renderCompose(topology, { publishPorts: false }));
    expect(s.api).not.toHaveProperty("ports");
    expect(s.api!.expose).toEqual(["8080", "53/udp"]);
  });

  it("turns http, tcp and exec health into healthchecks with the contract's timings", () => {
    const s = services(renderCompose(topology));
    expect(s.api!.healthcheck).toEqual({
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"],
      interval: "10s",
      timeout: "1500ms",
      retries: 7,
    });
    expect(s.db!.healthcheck).toEqual({
      test: ["CMD-SHELL", "nc -z 127.0.0.1 5432 2>/dev/null || nc -w 2 127.0.0.1 5432 </dev/null"],
      interval: "500ms",
      timeout: "2s",
      retries: 3,
      start_period: "5s",
    });
    expect(s.batch!.healthcheck.test).toEqual(["CMD", "test", "-f", "/ok"]);
    expect(s.cache).not.toHaveProperty("healthcheck");
  });

  it("uses a zero interval as one second, never the engine's 30s default", () => {
    const t = resolve({
      nodes: [{ name: "a", image: "x", health: { exec: { command: ["true"] }, interval: "0s", timeout: "0ms" } }],
    });
    expect(services(renderCompose(t)).a!.healthcheck).toMatchObject({ interval: "1s", timeout: "1s" });
  });

  it("waits for healthy dependencies and for started ones without a health check", () => {
    expect(services(renderCompose(topology)).api!.depends_on).toEqual({
      db: { condition: "service_healthy" },
      batch: { condition: "service_healthy" },
    });
    const noHealth = { ...topology, nodes: topology.nodes.map((n) => ({ ...n, health: undefined })) };
    expect(services(renderCompose(noHealth)).api!.depends_on).toEqual({
      db: { condition: "service_started" },
      batch: { condition: "service_started" },
    });
    expect(services(renderCompose(topology)).db).not.toHaveProperty("depends_on");
  });

  it("restarts unless stopped, sets replicas (0 too) and labels every service", () => {
    for (const [name, s] of Object.entries(services(renderCompose(topology)))) {
      expect(s.restart).toBe("unless-stopped");
      expect(s.labels).toEqual({ "topo.dev/topology": "shop", "topo.dev/node": name });
    }
    const s = services(renderCompose(topology));
    expect([s.cache!.deploy, s.lonely!.deploy, s.db!.deploy]).toEqual([
      { replicas: 3 },
      { replicas: 0 },
      { replicas: 1 },
    ]);
  });

  it("mounts a named volume per node volume and declares it with labels", () => {
    const doc = renderCompose(topology);
    expect(services(doc).db!.volumes).toEqual([{ type: "volume", source: "db-data", target: "/data" }]);
    expect(doc.volumes).toEqual({
      "db-data": { labels: { "topo.dev/topology": "shop", "topo.dev/node": "db" } },
    });
    expect(renderCompose(resolve({ nodes: [{ name: "a", image: "x" }] }))).not.toHaveProperty("volumes");
  });

  it("attaches every service with the alias <topology>-<node> to each of its networks", () => {
    const doc = renderCompose(topology);
    for (const [name, s] of Object.entries(services(doc))) {
      expect(Object.keys(s.networks).length).toBeGreaterThan(0);
      for (const attach of Object.values(s.networks)) expect(attach).toEqual({ aliases: [`shop-${name}`] });
      for (const net of Object.keys(s.networks)) expect(doc.networks).toHaveProperty(net);
    }
  });

  it("with isolation none, puts every service on the one default network", () => {
    const doc = renderCompose({ ...topology, isolation: "none" });
    expect(Object.keys(doc.networks)).toEqual(["default"]);
    for (const s of Object.values(services(doc))) expect(Object.keys(s.networks)).toEqual(["default"]);
  });

  it("with isolation links, shares a network only between nodes with an edge", () => {
    const nets = (name: string) => Object.keys(services(renderCompose(topology))[name]!.networks);
    const share = (a: string, b: string) => nets(a).some((n) => nets(b).includes(n));
    expect(share("api", "db")).toBe(true);
    expect(share("api", "cache")).toBe(true);
    expect(share("api", "batch")).toBe(true);
    expect(share("db", "cache")).toBe(false);
    expect(share("db", "batch")).toBe(false);
    expect(["api", "db", "cache", "batch"].some((n) => share("lonely", n))).toBe(false);
  });

  it("describes the graph under x-topo, with secret names only", () => {
    const ext = renderCompose(topology)["x-topo"];
    expect(ext.topology).toBe("shop");
    expect(ext.nodes.find((n) => n.name === "api")).toEqual({
      name: "api",
      image: "api:1",
      replicas: 1,
      ports: [
        { name: "http", port: 8080, protocol: "TCP", hostPort: 18080 },
        { name: "dns", port: 53, protocol: "UDP" },
      ],
      connectsTo: ["cache"],
      dependsOn: ["db", "batch"],
      secretRefs: ["api-keys"],
    });
  });

  it("has no top-level name (docker-compose 1.29 rejects it) and parses back to the same object", () => {
    const doc = renderCompose(topology);
    expect(doc).not.toHaveProperty("name");
    expect(doc).not.toHaveProperty("version");
    expect(parse(renderComposeYaml(topology))).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});

describe("secret variables", () => {
  it("upper-cases names and keys and turns other characters into _", () => {
    expect(secretVariableName({ name: "db-secrets", key: "password" })).toBe("TOPO_SECRET_DB_SECRETS_PASSWORD");
    expect(secretVariableName({ name: "a.b", key: "x-y.z_1" })).toBe("TOPO_SECRET_A_B_X_Y_Z_1");
  });

  it("lists each variable once, sorted, with where it is used", () => {
    expect(secretVariables(loadExample("web-stack"))).toEqual([
      {
        variable: "TOPO_SECRET_DB_SECRETS_PASSWORD",
        secret: "db-secrets",
        key: "password",
        usedBy: [
          { node: "db", env: "POSTGRES_PASSWORD" },
          { node: "migrate", env: "DATABASE_PASSWORD" },
          { node: "api", env: "DATABASE_PASSWORD" },
          { node: "worker", env: "DATABASE_PASSWORD" },
        ],
      },
    ]);
    expect(secretVariables(topology).map((v) => v.variable)).toEqual([
      "TOPO_SECRET_API_KEYS_TLS_KEY_PEM",
      "TOPO_SECRET_DB_SECRETS_PASSWORD",
    ]);
  });

  it("refuses two different secret keys that would share one variable", () => {
    const clash = resolve({
      nodes: [
        {
          name: "a",
          image: "x",
          env: [
            { name: "A", secretRef: { name: "db-secrets", key: "password" } },
            { name: "B", secretRef: { name: "db", key: "secrets_password" } },
          ],
        },
      ],
    });
    expect(() => renderCompose(clash)).toThrow(SecretVariableConflictError);
    expect(() => secretVariables(clash)).toThrow(/both become TOPO_SECRET_DB_SECRETS_PASSWORD/);
  });

  it("writes an env file template with empty values and comments", () => {
    const text = formatEnvExample(loadExample("web-stack"));
    expect(text).toMatch(/^TOPO_SECRET_DB_SECRETS_PASSWORD=$/m);
    expect(text).toContain("# secret db-secrets, key password; used by db.POSTGRES_PASSWORD");
    expect(text.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual(["TOPO_SECRET_DB_SECRETS_PASSWORD="]);
    expect(formatEnvExample(loadExample("connector-lab"))).toContain("references no secrets");
  });
});

describe("renderResources", () => {
  it("gives Compose the node's CPU in cores and memory in bytes, whatever quantity form they were written in", () => {
    expect(renderResources({ cpu: "250m", memory: "128Mi" })).toEqual({ cpus: 0.25, mem_limit: 128 * 2 ** 20 });
    expect(renderResources({ cpu: 2, memory: "1G" })).toEqual({ cpus: 2, mem_limit: 1e9 });
  });
  it("writes only what is set", () => {
    expect(renderResources({ memory: "64Mi" })).toEqual({ mem_limit: 64 * 2 ** 20 });
    expect(renderResources(undefined)).toEqual({});
  });
});
