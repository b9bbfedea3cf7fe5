// Benchmark: `topo render` of a 250-node topology (validate + expand + render + YAML), reported beside a
// baseline measured in the same run: YAML-serialising the same objects alone (the floor any renderer pays).
// Run: npm run bench:render
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { parseTopology } from "../operator/src/api/parse.ts";
import { renderKubernetes } from "../operator/src/render/k8s/index.ts";

const spec = {
  defaults: {
    image: "registry.example/connector:1.4.0",
    ports: [{ name: "http", port: 8080 }],
    health: { http: { path: "/healthz", port: "http" } },
  },
  nodes: [{ name: "store", volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }] }],
  generators: [
    { prefix: "mesh", count: 100, shape: "mesh", template: { dependsOn: ["store"] } },
    { prefix: "ring", count: 100, shape: "ring", template: { dependsOn: ["store"] } },
    { prefix: "star", count: 49, shape: "star" },
  ],
};
const input = { apiVersion: "topo.dev/v1alpha1", kind: "Topology", metadata: { name: "bench" }, spec };

function render(): string {
  const result = parseTopology(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return renderKubernetes(result.topology)
    .map((o) => stringify(o, { aliasDuplicateObjects: false }))
    .join("---\n");
}

function median(fn: () => unknown, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

render(); // warm up
const result = parseTopology(input);
if (!result.ok) throw new Error("invalid");
const objects = renderKubernetes(result.topology);
const full = median(render, 7);
const baseline = median(
  () => objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n"),
  7,
);
// The whole command as a user runs it, beside starting Node and loading the same modules without rendering.
const file = join(mkdtempSync(join(tmpdir(), "topo-bench-")), "bench.yaml");
writeFileSync(file, stringify(input));
const bin = join(import.meta.dirname, "..", "operator", "src", "cli", "bin.ts");
const cli = median(() => spawnSync(process.execPath, [bin, "render", file], { stdio: "ignore" }), 5);
const startup = median(() => spawnSync(process.execPath, [bin, "--version"], { stdio: "ignore" }), 5);
console.log(
  JSON.stringify({
    nodes: result.topology.nodes.length,
    objects: objects.length,
    inProcessMs: Math.round(full),
    yamlOnlyMs: Math.round(baseline),
    inProcessOverYaml: +(full / baseline).toFixed(2),
    cliMs: Math.round(cli),
    cliStartupMs: Math.round(startup),
    cliOverStartup: +(cli / startup).toFixed(2),
  }),
);
