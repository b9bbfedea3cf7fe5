// A node built from source, shipped to a cluster without a registry: `topo build --load` builds it (the
// content tag topo up runs) and imports it into the real node's containerd, `topo render
// --images-from-build --topology` pins it, and the operator runs exactly that image on the real node. The
// same file applied as written (build, no image) is InvalidSpec, saying to run topo build: the operator
// never builds.
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import type { TopologyObject } from "../../../operator/src/api/schema.ts";
import { request } from "../../../operator/src/kube/rest.ts";
import {
  applyTopology,
  kube,
  ROOT,
  startOperator,
  topology,
  waitForPhase,
  type OperatorProcess,
} from "../operator/harness.ts";
import { createRealNodeNamespace, REAL_NODE_NAME, requireRealNode } from "../support/real-node.ts";
import { execIn, readyPod, suffix } from "./helpers.ts";

const NS = `rn-build-${suffix()}`;
const NAME = `built-${suffix()}`;
const CLUSTER_DIR = process.env.TOPO_CLUSTER_DIR ?? join(homedir(), ".local/state/topo/cluster");
const MESSAGE = `built for ${NS}`;

const SPEC = {
  nodes: [
    {
      name: "api",
      build: { context: "./api", args: { MESSAGE } },
      ports: [{ name: "http", port: 8080 }],
      health: { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "1s", retries: 3 },
    },
  ],
};

function topo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "operator/src/cli/bin.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, TOPO_CONTAINERD_ADDRESS: join(CLUSTER_DIR, "node/containerd/containerd.sock") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe("topo build --load on the real node", () => {
  const dir = mkdtempSync(join(tmpdir(), "topo-rn-build-"));
  const file = join(dir, "built.yaml");
  let op: OperatorProcess;
  let tag: string | undefined;

  beforeAll(async () => {
    mkdirSync(join(dir, "api"));
    writeFileSync(
      join(dir, "api/Dockerfile"),
      'FROM topo/testsvc:local\nARG MESSAGE\nUSER 0\nRUN echo "$MESSAGE" > /msg\nUSER 65534\n',
    );
    writeFileSync(file, stringify(topology(NS, NAME, SPEC)));
    await requireRealNode();
    await createRealNodeNamespace(NS);
    op = await startOperator({ namespace: NS });
  });

  afterAll(async () => {
    if (expect.getState().assertionCalls !== expect.getState().numPassingAsserts)
      process.stderr.write(`--- operator logs ---\n${op?.logs().slice(-6000)}\n`);
    await op?.stop();
    await request(kube().kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (tag) {
      // The image this test built, from the engine and from the node's containerd.
      await promisify(execFile)("docker", ["rmi", tag]).catch(() => undefined);
      await promisify(execFile)("ctr", [
        "--address",
        join(CLUSTER_DIR, "node/containerd/containerd.sock"),
        "--namespace",
        "k8s.io",
        "images",
        "rm",
        tag,
      ]).catch(() => undefined);
    }
  });

  it("refuses the file as written: InvalidSpec, saying to run topo build", async () => {
    await applyTopology(parse(stringify(topology(NS, `${NAME}-raw`, SPEC))) as TopologyObject);
    const t = await waitForPhase(NS, `${NAME}-raw`, "Invalid");
    expect(t.status!.conditions!.find((c) => c.type === "InvalidSpec")).toMatchObject({
      status: "True",
      message: expect.stringMatching(
        /spec\.nodes\[0\]\.build: node "api" is built from source .*run `topo build FILE --push` \(or --load\)/,
      ),
    });
  });

  it("runs the image topo build loaded, pinned by topo render --images-from-build", async () => {
    const built = await topo("build", file, "--load");
    expect(built.code === 0 ? "exit 0" : built.stderr).toBe("exit 0");
    const [line] = built.stdout.trim().split("\n");
    const [, builtTag, id] = line!.split("\t");
    tag = builtTag;
    expect(tag).toMatch(new RegExp(`^topo\\.local/${NAME}-api:[0-9a-f]{16}$`));
    expect(built.stderr).toContain("loaded 1 image(s) into containerd at");

    const rendered = await topo("render", file, "--images-from-build", "--topology", "-n", NS);
    expect(rendered.code === 0 ? "exit 0" : rendered.stderr).toBe("exit 0");
    const doc = parse(rendered.stdout) as TopologyObject;
    expect(doc.spec.nodes![0]).not.toHaveProperty("build");
    expect(doc.spec.nodes![0]!.image).toBe(tag);
    expect(JSON.parse(doc.metadata.annotations!["topo.dev/built-image-ids"]!)).toEqual({ api: id });

    await applyTopology(doc);
    await waitForPhase(NS, NAME, "Ready", 180_000);
    const pod = await readyPod(NS, NAME, "api");
    expect(pod.spec!.nodeName).toBe(REAL_NODE_NAME);
    const status = pod.status!.containerStatuses![0]!;
    // The kubelet ran the image Docker built: the same image (config) id, not pulled from anywhere.
    expect(status.imageID).toContain(id!.replace(/^sha256:/, ""));
    expect((await execIn(NS, pod.metadata!.name!, "cat", "/msg")).out.trim()).toBe(MESSAGE);
  });
});
