// The operator image: the repository's Dockerfile built on the local base (hack/operator-image.sh), its
// labels and user, `topo --version`, and `topo operator` in the container, on a read-only root filesystem as
// uid 65532 with the host network, against the local control plane: /healthz and /readyz, and a Topology
// reconciled to Ready.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  applyTopology,
  createNamespace,
  freePort,
  listOwned,
  ROOT,
  topology,
  waitFor,
  waitForPhase,
} from "../operator/harness.ts";
import {
  buildOperatorImage,
  LOCAL_IMAGE,
  removeKubeconfig,
  suffix,
  writeKubeconfig,
} from "../chart/harness.ts";

const docker = (args: string[]): string =>
  execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

interface ImageInspect {
  Size: number;
  Config: {
    User: string;
    Labels: Record<string, string>;
    Entrypoint: string[];
    Cmd: string[];
    Env: string[];
  };
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

describe("the operator image", () => {
  let image: ImageInspect;
  let base: ImageInspect;
  let container: string | undefined;
  let kubeconfig: string | undefined;
  let ns: Awaited<ReturnType<typeof createNamespace>> | undefined;

  beforeAll(() => {
    const started = Date.now();
    const log = buildOperatorImage();
    process.stdout.write(`${log}\n[image] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    image = (JSON.parse(docker(["image", "inspect", LOCAL_IMAGE])) as ImageInspect[])[0]!;
    // hack/operator-image.sh builds on hack/base-image.sh's image (both stages of the Dockerfile use it).
    const baseName = process.env.TOPO_BASE_IMAGE ?? "topo/node-base:24";
    base = (JSON.parse(docker(["image", "inspect", baseName])) as ImageInspect[])[0]!;
  }, 900_000);

  afterAll(async () => {
    if (container) docker(["rm", "-f", container]);
    removeKubeconfig(kubeconfig);
    await ns?.remove();
  });

  it("carries the OCI source, revision and version labels", () => {
    const revision = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    expect(image.Config.Labels).toMatchObject({
      "org.opencontainers.image.source": "https://github.com/topo-dev/topo",
      "org.opencontainers.image.revision": revision,
      "org.opencontainers.image.version": pkg.version,
    });
  });

  it("runs as a numeric non-root user, with `topo` as the entrypoint and `operator` as the command", () => {
    expect(image.Config.User).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(image.Config.User.split(":")[0]).toBe("65532");
    expect(image.Config.Entrypoint).toEqual([
      "node",
      "--max-semi-space-size=1",
      "--optimize-for-size",
      "/app/dist/operator/src/cli/bin.js",
    ]);
    expect(image.Config.Cmd).toEqual(["operator"]);
    // bench:operator starts the operator with this environment too (it reads the Dockerfile's).
    expect(image.Config.Env).toEqual(expect.arrayContaining(["NODE_ENV=production", "MALLOC_ARENA_MAX=2"]));
  });

  it("adds little to its Node base: production dependencies and compiled JavaScript only", () => {
    const mb = (n: number) => Math.round(n / 1e6);
    process.stdout.write(
      `[image] ${LOCAL_IMAGE}: ${mb(image.Size)} MB, of which the Node base ${mb(base.Size)} MB and Topo ${mb(image.Size - base.Size)} MB\n`,
    );
    // node_modules without type declarations, source maps or docs, and dist/: tens of MB, not hundreds.
    expect(mb(image.Size - base.Size)).toBeLessThan(100);
  });

  it("prints the package version with --version", () => {
    expect(docker(["run", "--rm", "--read-only", LOCAL_IMAGE, "--version"])).toBe(`topo ${pkg.version}`);
  });

  it("serves /healthz and /readyz and reconciles a Topology on a read-only root filesystem as uid 65532", async () => {
    ns = await createNamespace("topo-image");
    kubeconfig = writeKubeconfig();
    const port = await freePort();
    const dashboard = await freePort();
    container = `topo-e2e-image-${suffix()}`;
    docker([
      "run",
      "--detach",
      "--name",
      container,
      "--network",
      "host",
      "--read-only",
      "--user",
      "65532",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      "--volume",
      `${kubeconfig}:/etc/topo/kubeconfig:ro`,
      "--env",
      "KUBECONFIG=/etc/topo/kubeconfig",
      "--env",
      "TOPO_HTTP_HOST=127.0.0.1",
      "--env",
      `TOPO_HTTP_PORT=${port}`,
      "--env",
      `TOPO_DASHBOARD_PORT=${dashboard}`,
      // Only this test's namespace: the operators of other tests own the Topologies in theirs.
      "--env",
      `TOPO_NAMESPACES=${ns.name}`,
      LOCAL_IMAGE,
      "operator",
    ]);
    const logs = () => docker(["logs", "--tail", "40", container!]);
    try {
      for (const path of ["/healthz", "/readyz"])
        await waitFor(
          `${path} of the operator container`,
          async () =>
            JSON.parse(docker(["inspect", "-f", "{{json .State.Running}}", container!])) === true &&
            (await fetch(`http://127.0.0.1:${port}${path}`)).status === 200,
          60_000,
        );
      const spec = {
        nodes: [
          { name: "db", image: "topo/testsvc:local", ports: [{ name: "pg", port: 5432 }] },
          {
            name: "api",
            image: "topo/testsvc:local",
            ports: [{ name: "http", port: 8080 }],
            dependsOn: ["db"],
          },
        ],
      };
      await applyTopology(topology(ns.name, "imaged", spec));
      await waitForPhase(ns.name, "imaged", "Ready");
      const deployments = await listOwned(ns.name, "Deployment", "apps/v1", "imaged");
      expect(deployments.map((d) => d.metadata!.name).sort()).toEqual(["imaged-api", "imaged-db"]);
      // The dashboard's front end is in the image: its page and the API it calls.
      const page = await fetch(`http://127.0.0.1:${dashboard}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script type="module"[^>]+src="\/assets\/[^"]+\.js"/);
      const listed = (await (await fetch(`http://127.0.0.1:${dashboard}/api/topologies`)).json()) as {
        name: string;
      }[];
      expect(listed.map((t) => t.name)).toContain("imaged");
      const user = docker(["inspect", "-f", "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}", container]);
      expect(user).toBe("65532 true");
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- container logs ---\n${logs()}`, { cause: err });
    }
  });
});
