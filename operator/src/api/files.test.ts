// The model of a node's files: paths, content or secretRef, modes, the size bound, merging by path.
import { MAX_FILE_CONTENT_BYTES } from "./constants.ts";
import { parseTopology } from "./parse.ts";
import { formatPath } from "./topology.ts";

const topology = (nodes: Record<string, unknown>[], spec: Record<string, unknown> = {}) => ({
  apiVersion: "topo.dev/v1alpha1",
  kind: "Topology",
  metadata: { name: "shop" },
  spec: { nodes, ...spec },
});
const node = (files: unknown[], extra: Record<string, unknown> = {}) => ({
  name: "prom",
  image: "prom/prometheus:v2.54.1",
  files,
  ...extra,
});
const issues = (input: unknown) => {
  const r = parseTopology(input);
  return r.ok ? [] : r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
};
const resolved = (input: unknown) => {
  const r = parseTopology(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.topology;
};

describe("a node's files", () => {
  it("default to mode 0444 for content and 0400 for a secret, sorted by path", () => {
    const t = resolved(
      topology([
        node([
          { path: "/run/secrets/token", secretRef: { name: "broker", key: "token" } },
          { path: "/etc/prometheus/prometheus.yml", content: "scrape_configs: []\n" },
          { path: "/etc/x.conf", content: "x", mode: "0640" },
        ]),
      ]),
    );
    expect(t.nodes[0]!.files).toEqual([
      { path: "/etc/prometheus/prometheus.yml", content: "scrape_configs: []\n", mode: 0o444 },
      { path: "/etc/x.conf", content: "x", mode: 0o640 },
      { path: "/run/secrets/token", secretRef: { name: "broker", key: "token" }, mode: 0o400 },
    ]);
  });

  it.each([
    [{ path: "etc/x", content: "x" }, "files[0].path: must be an absolute path to a file"],
    [{ path: "/etc/", content: "x" }, "files[0].path: must be an absolute path to a file"],
    [{ path: "/etc/../x", content: "x" }, "files[0].path: must not contain '.' or '..' segments"],
    [{ path: "/etc/x" }, "files[0]: set exactly one of content or secretRef"],
    [
      { path: "/etc/x", content: "x", secretRef: { name: "s", key: "k" } },
      "files[0]: set exactly one of content or secretRef",
    ],
    [{ path: "/etc/x", content: "x", mode: "999" }, "files[0].mode: must be an octal mode"],
    [{ path: "/etc/x", content: "x", mode: 420 }, "files[0].mode: must be a string"],
    [{ path: "/etc/x", content: 3 }, "files[0].content: must be a string"],
  ])("refuses %j", (file, message) => {
    expect(issues(topology([node([file])])).join("\n")).toContain(`spec.nodes[0].${message}`);
  });

  it("refuses a path declared twice in one list, naming both entries", () => {
    expect(
      issues(
        topology([
          node([
            { path: "/etc/a", content: "1" },
            { path: "/etc/a", content: "2" },
          ]),
        ]),
      ),
    ).toContain("spec.nodes[0].files[1].path: duplicate file path /etc/a (also spec.nodes[0].files[0])");
  });

  it("refuses a file inside a volume's mountPath or inside another file", () => {
    const found = issues(
      topology([
        node(
          [
            { path: "/data/prometheus.yml", content: "x" },
            { path: "/etc/a", content: "x" },
            { path: "/etc/a/b", content: "x" },
          ],
          { volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }] },
        ),
      ]),
    );
    expect(found).toEqual([
      'spec.nodes[0].files[0].path: file /data/prometheus.yml is inside volume "data" (mountPath /data) of node "prom": put it outside the volume\'s mountPath',
      "spec.nodes[0].files[2].path: file /etc/a/b is inside file /etc/a",
    ]);
  });

  it("bounds the content of a node's files together, pointing at the largest where it was declared", () => {
    const half = "x".repeat(MAX_FILE_CONTENT_BYTES / 2);
    const found = issues(
      topology([node([{ path: "/etc/a", content: half }])], {
        defaults: { files: [{ path: "/etc/b", content: `${half}!` }] },
      }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^spec\.defaults\.files\[0\]\.content: the files of node "prom" hold 262145 bytes of content, more than 256 KiB \(the largest is \/etc\/b\)/,
    );
    expect(issues(topology([node([{ path: "/etc/a", content: half }])]))).toEqual([]);
  });

  it("merge by path from defaults and a generator's template, the node's own winning", () => {
    const t = resolved(
      topology([node([{ path: "/etc/common.conf", content: "mine" }])], {
        defaults: {
          files: [
            { path: "/etc/common.conf", content: "default" },
            { path: "/etc/ca.pem", secretRef: { name: "ca", key: "pem" } },
          ],
        },
        generators: [
          {
            prefix: "conn",
            count: 2,
            shape: "linear",
            template: { image: "c:1", files: [{ path: "/etc/conn.conf", content: "c", mode: "0400" }] },
          },
        ],
      }),
    );
    const files = (name: string) =>
      t.nodes.find((n) => n.name === name)!.files.map((f) => `${f.path} ${f.content ?? f.secretRef!.name}`);
    expect(files("prom")).toEqual(["/etc/ca.pem ca", "/etc/common.conf mine"]);
    expect(files("conn-1")).toEqual(["/etc/ca.pem ca", "/etc/common.conf default", "/etc/conn.conf c"]);
  });

  it("names a merged file's error where that file was declared", () => {
    const found = issues(
      topology([node([], { volumes: [{ name: "data", mountPath: "/etc", size: "1Gi" }] })], {
        defaults: { files: [{ path: "/etc/common.conf", content: "x" }] },
      }),
    );
    expect(found[0]).toMatch(/^spec\.defaults\.files\[0\]\.path: file \/etc\/common\.conf is inside volume/);
  });
});
