import { parseTopology } from "./parse.ts";
import { formatPath } from "./topology.ts";

const base = () => ({
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { name: "demo" },
  spec: {
    nodes: [
      { name: "db", image: "postgres:16", ports: [{ name: "pg", port: 5432 }] },
      { name: "api", image: "api:1" },
    ],
  } as Record<string, unknown>,
});

type Case = [string, (t: ReturnType<typeof base>) => void, string, RegExp];

const nodes = (t: ReturnType<typeof base>) => t.spec.nodes as Record<string, unknown>[];

const invalid: Case[] = [
  [
    "an unknown field is named and a close match is suggested",
    (t) => (nodes(t)[0]!.replica = 2),
    "spec.nodes[0].replica",
    /unknown field "replica" \(did you mean "replicas"\?\)/,
  ],
  [
    "duplicate node names are rejected",
    (t) => (nodes(t)[1]!.name = "db"),
    "spec.nodes[1].name",
    /duplicate node name "db"/,
  ],
  [
    "a reference to a missing node is rejected with a suggestion",
    (t) => (nodes(t)[1]!.dependsOn = ["dbb"]),
    "spec.nodes[1].dependsOn[0]",
    /unknown node "dbb" \(did you mean "db"\?\)/,
  ],
  [
    "a node cannot depend on itself",
    (t) => (nodes(t)[1]!.dependsOn = ["api"]),
    "spec.nodes[1].dependsOn[0]",
    /cannot depend on itself/,
  ],
  [
    "a node cannot connect to itself",
    (t) => (nodes(t)[1]!.connectsTo = ["api"]),
    "spec.nodes[1].connectsTo[0]",
    /cannot connect to itself/,
  ],
  [
    "a dependsOn cycle is shown node by node",
    (t) => {
      nodes(t)[0]!.dependsOn = ["api"];
      nodes(t)[1]!.dependsOn = ["cache"];
      nodes(t).push({ name: "cache", image: "redis", dependsOn: ["db"] });
    },
    "spec.nodes[0].dependsOn",
    /cycle: db -> api -> cache -> db/,
  ],
  [
    "port names are unique per node",
    (t) => (nodes(t)[0]!.ports as unknown[]).push({ name: "pg", port: 5433 }),
    "spec.nodes[0].ports[1].name",
    /duplicate port name "pg"/,
  ],
  [
    "a health port must be one of the node's ports",
    (t) => (nodes(t)[0]!.health = { tcp: { port: "pgx" } }),
    "spec.nodes[0].health.tcp.port",
    /not one of node "db"'s ports \(did you mean "pg"\?\)/,
  ],
  [
    "a health port number must be declared",
    (t) => (nodes(t)[0]!.health = { http: { path: "/", port: 80 } }),
    "spec.nodes[0].health.http.port",
    /health port 80 is not one of/,
  ],
  [
    "health takes exactly one check",
    (t) => (nodes(t)[0]!.health = { interval: "5s" }),
    "spec.nodes[0].health",
    /exactly one of http, tcp or exec/,
  ],
  [
    "a node with volumes runs at most one replica",
    (t) =>
      Object.assign(nodes(t)[0]!, {
        replicas: 2,
        volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }],
      }),
    "spec.nodes[0].replicas",
    /has volumes, so it runs at most 1 replica/,
  ],
  [
    "every node needs an image",
    (t) => delete nodes(t)[1]!.image,
    "spec.nodes[1].name",
    /node "api" has no image/,
  ],
  [
    "derived object names fit in 63 characters",
    (t) => (nodes(t)[1]!.name = "a".repeat(60)),
    "spec.nodes[1].name",
    /must be at most 63/,
  ],
  [
    "environment variable names must be valid",
    (t) => (nodes(t)[1]!.env = [{ name: "1BAD", value: "x" }]),
    "spec.nodes[1].env[0].name",
    /environment variable name/,
  ],
  [
    "an env var sets value or secretRef, not both",
    (t) => (nodes(t)[1]!.env = [{ name: "A", value: "x", secretRef: { name: "s", key: "k" } }]),
    "spec.nodes[1].env[0]",
    /exactly one of value or secretRef/,
  ],
  [
    "env values are strings",
    (t) => (nodes(t)[1]!.env = [{ name: "PORT", value: 8080 }]),
    "spec.nodes[1].env[0].value",
    /quote numbers/,
  ],
  [
    "reserved TOPO_ variables cannot be overridden",
    (t) => (nodes(t)[1]!.env = [{ name: "TOPO_PEERS", value: "x" }]),
    "spec.nodes[1].env[0].name",
    /set by Topo/,
  ],
  [
    "durations must be valid",
    (t) => (nodes(t)[0]!.health = { tcp: { port: "pg" }, interval: "10" }),
    "spec.nodes[0].health.interval",
    /duration such as 500ms/,
  ],
  [
    "a generator prefix cannot collide with an explicit node",
    (t) => {
      nodes(t).push({ name: "conn-1", image: "x" });
      t.spec.generators = [{ prefix: "conn", count: 3, shape: "ring", template: { image: "c" } }];
    },
    "spec.generators[0].prefix",
    /makes node "conn-1", which is also declared/,
  ],
  [
    "the shape must be a known one",
    (t) => (t.spec.generators = [{ prefix: "c", count: 3, shape: "tree" }]),
    "spec.generators[0].shape",
    /one of "linear", "ring", "star", "mesh"/,
  ],
  [
    "a generator makes at most 100 nodes",
    (t) => (t.spec.generators = [{ prefix: "c", count: 101, shape: "mesh", template: { image: "x" } }]),
    "spec.generators[0].count",
    /at most 100/,
  ],
  [
    "a topology has at most 250 nodes with its generators",
    (t) =>
      (t.spec.generators = [0, 1, 2].map((i) => ({
        prefix: `g${i}`,
        count: 100,
        shape: "linear",
        template: { image: "x" },
      }))),
    "spec.nodes",
    /at most 250 nodes/,
  ],
  [
    "a hostPort is published by one node only",
    (t) => {
      (nodes(t)[0]!.ports as Record<string, unknown>[])[0]!.hostPort = 15432;
      nodes(t)[1]!.ports = [{ name: "http", port: 80, hostPort: 15432 }];
    },
    "spec.nodes[1].ports[0].hostPort",
    /hostPort 15432\/TCP of node "api" overlaps node "db"'s hostPort 15432/,
  ],
  [
    "a replicated node's host port range may not overlap another node's, and names both",
    (t) => {
      nodes(t)[0]!.replicas = 3;
      (nodes(t)[0]!.ports as Record<string, unknown>[])[0]!.hostPort = 18000;
      nodes(t)[1]!.ports = [{ name: "http", port: 80, hostPort: 18002 }];
    },
    "spec.nodes[1].ports[0].hostPort",
    /hostPort 18002\/TCP of node "api" overlaps node "db"'s hostPort 18000-18002 \(spec.nodes\[0\].ports\[0\].hostPort\)/,
  ],
  [
    "host port ranges of one node may not overlap each other",
    (t) => {
      nodes(t)[1]!.replicas = 2;
      nodes(t)[1]!.ports = [
        { name: "a", port: 80, hostPort: 18000 },
        { name: "b", port: 81, hostPort: 18001 },
      ];
    },
    "spec.nodes[1].ports[1].hostPort",
    /hostPort 18001-18002\/TCP of node "api" overlaps this node's hostPort 18000-18001/,
  ],
  [
    "a host port range ends at 65535",
    (t) => {
      nodes(t)[1]!.replicas = 3;
      nodes(t)[1]!.ports = [{ name: "http", port: 80, hostPort: 65534 }];
    },
    "spec.nodes[1].ports[0].hostPort",
    /runs 3 replicas, so it publishes hostPort 65534-65536, past 65535/,
  ],
  [
    "a topology without nodes or generators names both",
    (t) => delete t.spec.nodes,
    "spec",
    /a topology needs at least one node, in spec.nodes or made by spec.generators/,
  ],
  [
    "an empty nodes list without generators is reported at spec.nodes",
    (t) => (t.spec.nodes = []),
    "spec.nodes",
    /needs at least one node/,
  ],
  ["the name is a DNS label", (t) => (t.metadata.name = "Demo"), "metadata.name", /DNS-1123 label/],
  ["the kind must be Topology", (t) => (t.kind = "Topo"), "kind", /must be Topology/],
  [
    "a missing image in a generator template is reported at the generator",
    (t) => (t.spec.generators = [{ prefix: "c", count: 2, shape: "linear" }]),
    "spec.generators[0].template",
    /node "c-0" has no image/,
  ],
];

describe("parseTopology rejects", () => {
  it.each(invalid)("%s", (_name, mutate, path, message) => {
    const t = base();
    mutate(t);
    const result = parseTopology(t);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const printed = result.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    const escaped = path.replace(/[[\].]/g, "\\$&");
    expect(printed).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${escaped}: .*${message.source}`))]),
    );
  });
});

describe("parseTopology accepts", () => {
  it("fills defaults: replicas 1, TCP, health timings, rollout and isolation", () => {
    const t = base();
    nodes(t)[0]!.health = { tcp: { port: "pg" } };
    const result = parseTopology(t);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const db = result.topology.nodes[0]!;
    expect(db.replicas).toBe(1);
    expect(db.ports[0]!.protocol).toBe("TCP");
    expect(db.health).toMatchObject({
      kind: "tcp",
      portNumber: 5432,
      interval: "10s",
      timeout: "2s",
      retries: 3,
      startPeriod: "0s",
    });
    expect(result.topology.rollout).toEqual({
      progressDeadlineSeconds: 90,
      autoRollback: true,
      historyLimit: 10,
    });
    expect(result.topology.isolation).toBe("links");
  });

  it("a topology made only of generators: the nodes list is optional", () => {
    const t = base();
    delete t.spec.nodes;
    t.spec.generators = [{ prefix: "conn", count: 3, shape: "ring", template: { image: "x" } }];
    const result = parseTopology(t);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.topology.nodes.map((n) => n.name)).toEqual(["conn-0", "conn-1", "conn-2"]);
  });

  it("a replicated node with a hostPort (Compose publishes a range; Kubernetes ignores it)", () => {
    const t = base();
    nodes(t)[1]!.replicas = 3;
    nodes(t)[1]!.ports = [{ name: "http", port: 8000, hostPort: 18000 }];
    nodes(t)[0]!.ports = [{ name: "pg", port: 5432, hostPort: 18003 }];
    const result = parseTopology(t);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it("the same host port for TCP and UDP (separate on the host)", () => {
    const t = base();
    nodes(t)[1]!.ports = [
      { name: "dns", port: 53, hostPort: 10053 },
      { name: "dns-udp", port: 53, protocol: "UDP", hostPort: 10053 },
    ];
    expect(parseTopology(t).ok).toBe(true);
  });

  it("allows zero replicas", () => {
    const t = base();
    nodes(t)[1]!.replicas = 0;
    expect(parseTopology(t).ok).toBe(true);
  });

  it("warns, without failing, when a peer has no ports", () => {
    const t = base();
    nodes(t)[0]!.connectsTo = ["api"];
    const result = parseTopology(t);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/"api" has no ports/)]);
  });
});
