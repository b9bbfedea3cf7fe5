// The GitHub Actions workflow cannot run here, so it is held to what can be checked here: actionlint (with
// shellcheck over every `run:` block) finds nothing, every `run:` step is one command calling a repository
// script or npm script that exists, and the facts that would hurt if they regressed — who may push, which
// tags, the layer cache, the Trivy gate — are asserted on the parsed YAML. The scripts only CI calls
// (hack/ci-export.sh, hack/helm-install.sh) run here too, the latter against the local control plane.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../operator/harness.ts";
import { cachedTool, helm, LOCAL_IMAGE, parseManifests, suffix } from "../chart/harness.ts";

const WORKFLOW = ".github/workflows/ci.yml";
const source = readFileSync(join(ROOT, WORKFLOW), "utf8");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | boolean | number>;
}
interface Job {
  name?: string;
  if?: string;
  needs?: string[] | string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency: { group: string; "cancel-in-progress": unknown };
  env: Record<string, string>;
  jobs: Record<string, Job>;
}
const workflow = parse(source) as Workflow;
const jobs = Object.entries(workflow.jobs);
const steps = jobs.flatMap(([job, j]) => j.steps.map((step) => ({ job, step })));
const runSteps = steps.filter((s) => s.step.run !== undefined);
const usesOf = (step: Step, action: string) => step.uses?.startsWith(`${action}@`) ?? false;

const packageScripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: object })
  .scripts;
const isNpmScript = (name: string | undefined) => name !== undefined && Object.hasOwn(packageScripts, name);

/**
 * A `run:` block as shell words: quotes and backslash-newlines resolved; unquoted newlines and control
 * operators (`;`, `&&`, `|`, redirections) become words of their own, so a check can refuse them.
 */
function shellWords(script: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  const flush = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const text = script.replace(/\\\n/g, " ");
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) word += text[++i]!;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\n" || ";&|<>".includes(c)) {
      flush();
      let op = c;
      while (c !== "\n" && i + 1 < text.length && ";&|<>".includes(text[i + 1]!)) op += text[++i]!;
      words.push(op);
    } else if (/\s/.test(c)) {
      flush();
    } else {
      word = (word ?? "") + c;
    }
  }
  flush();
  return words;
}

/**
 * Why a `run:` block is not one command calling a repository script or an npm script that exists, or
 * undefined when it is. `sudo`, `env` and VAR=value prefixes are allowed; hack/ci-export.sh and
 * hack/node.sh wrap a command, which is checked in turn (under hack/node.sh any Node tool may run, but an
 * `npm run` script must exist).
 */
function checkRun(script: string): string | undefined {
  const words = shellWords(script.trim());
  const operator = words.find((w) => w === "\n" || /^[;&|<>]+$/.test(w));
  if (operator !== undefined)
    return `is not a single command (${JSON.stringify(operator)}): put the steps in a script under hack/`;
  if (words.some((w) => w.includes("$(") || w.includes("`")))
    return "uses command substitution: let hack/ci-export.sh pass values between steps";
  return checkCommand(words);
}

function checkCommand(words: string[]): string | undefined {
  let i = 0;
  while (words[i] === "sudo" || words[i] === "env" || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? "")) i++;
  const [cmd, ...args] = words.slice(i);
  if (cmd === undefined) return "runs nothing";
  if (cmd === "npm") {
    if (args[0] === "test")
      return isNpmScript("test") ? undefined : "runs `npm test`, which package.json lacks";
    if (args[0] === "run" || args[0] === "run-script")
      return isNpmScript(args[1])
        ? undefined
        : `runs npm script ${JSON.stringify(args[1])}, not in package.json`;
    return `runs \`npm ${args[0] ?? ""}\` directly: wrap it (hack/node.sh npm ...) or make it an npm script`;
  }
  const script = cmd === "bash" || cmd === "sh" ? args.shift() : cmd;
  if (script === undefined || !script.includes("/"))
    return `runs ${JSON.stringify(cmd)}, not a repository script or npm script`;
  const path = join(ROOT, script);
  if (!existsSync(path)) return `runs ${script}, which does not exist`;
  if (cmd === script) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      return `runs ${script}, which is not executable`;
    }
  }
  if (script === "hack/ci-export.sh") {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(args[0] ?? "")) return "hack/ci-export.sh needs NAME COMMAND";
    return checkCommand(args.slice(1));
  }
  if (script === "hack/node.sh" && args[0] === "npm" && (args[1] === "run" || args[1] === "run-script"))
    return isNpmScript(args[2])
      ? undefined
      : `runs npm script ${JSON.stringify(args[2])}, not in package.json`;
  return undefined;
}

/** The build-arg names of a build-push-action step. */
const buildArgs = (step: Step): Record<string, string> =>
  Object.fromEntries(
    String(step.with?.["build-args"] ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );

/** The ARGs the Dockerfile declares, with their defaults. */
const dockerfileArgs = Object.fromEntries(
  [...readFileSync(join(ROOT, "Dockerfile"), "utf8").matchAll(/^ARG ([A-Z_]+)(?:=(\S*))?/gm)].map((m) => [
    m[1]!,
    m[2] ?? "",
  ]),
);

describe("the CI workflow", () => {
  it("passes actionlint, with shellcheck over every run: block", () => {
    const actionlint = cachedTool("actionlint");
    const lint = (input: string) =>
      spawnSync(actionlint, ["-no-color", "-stdin-filename", WORKFLOW, "-"], {
        cwd: ROOT,
        input,
        encoding: "utf8",
      });
    const out = lint(source);
    expect(out.stdout + out.stderr).toBe("");
    expect(out.status).toBe(0);
    // actionlint skips shellcheck silently when it is not on PATH: prove it ran by planting a finding.
    const planted = lint(source.replace("run: npm run lint", "run: npm run lint $UNQUOTED"));
    expect(planted.stdout).toMatch(/SC2086.*\[shellcheck\]/);
    expect(planted.status).not.toBe(0);
  });

  it("runs only repository scripts and npm scripts that exist, one command per step", () => {
    expect(runSteps.length).toBeGreaterThan(10);
    const problems = runSteps
      .map(({ job, step }) => ({ where: `${job}: ${step.name ?? step.run}`, why: checkRun(step.run!) }))
      .filter((p) => p.why !== undefined)
      .map((p) => `${p.where}: ${p.why}`);
    expect(problems).toEqual([]);
  });

  it.each([
    ["echo hello", /not a repository script/],
    ["npm ci", /directly/],
    ["npm run no-such-script", /not in package\.json/],
    ["hack/no-such-script.sh up", /does not exist/],
    ["hack/node.sh npm run no-such-script", /not in package\.json/],
    ["hack/ci-export.sh KUBECONFIG hack/no-such-script.sh", /does not exist/],
    ["hack/docker.sh up && npm test", /single command/],
    ["hack/cluster.sh up\nnpm test", /single command/],
    ['echo "K=$(hack/cluster.sh up)"', /command substitution/],
    ["curl -fsSL https://example.invalid/install.sh | sh", /single command/],
  ])("the step check rejects %j", (run, why) => {
    expect(checkRun(run)).toMatch(why);
  });

  it.each([
    "npm run lint",
    "npm test",
    "npm run test:e2e -- --testPathPatterns 'test/e2e/cluster/(crd|garbage-collection)'",
    'sudo env "PATH=$PATH" hack/tools.sh',
    "hack/node.sh npm audit --audit-level=high",
    "hack/ci-export.sh KUBECONFIG hack/kind-up.sh",
    "bash .ci/run",
  ])("the step check accepts %j", (run) => {
    expect(checkRun(run)).toBeUndefined();
  });

  it("covers lint, typecheck, unit, audit, e2e on the local control plane, and the chart on kind", () => {
    const runs = runSteps.map((s) => s.step.run!.trim());
    for (const expected of [
      "npm run lint",
      "npm run typecheck",
      "npm run test:unit",
      "npm run test:e2e -- --testPathIgnorePatterns test/e2e/real-node",
      "hack/node.sh npm audit --audit-level=high",
      "hack/ci-export.sh KUBECONFIG hack/cluster.sh up",
      "hack/ci-export.sh KUBECONFIG hack/kind-up.sh",
      "hack/helm-install.sh --test",
    ])
      expect(runs).toContain(expected);
    // On kind the e2e tests run after the chart is installed, against kind's kubeconfig.
    const kind = workflow.jobs["e2e-kind"]!.steps.map((s) => s.run ?? "");
    const at = (prefix: string) => kind.findIndex((r) => r.startsWith(prefix));
    expect(at("hack/ci-export.sh KUBECONFIG hack/kind-up.sh")).toBeLessThan(at("hack/helm-install.sh"));
    expect(at("hack/helm-install.sh")).toBeLessThan(at("npm run test:e2e"));
  });

  it("pins every action to a full commit SHA, with the release in a comment", () => {
    const uses = source.split("\n").filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(5);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it("sets up the Node major that hack/node.sh pins", () => {
    const versions = readFileSync(join(ROOT, "hack/lib/versions.sh"), "utf8");
    const major = /NODE_MAJOR="\$\{NODE_MAJOR:-(\d+)\}"/.exec(versions)?.[1];
    expect(major).toBeDefined();
    expect(workflow.env.NODE_MAJOR).toBe(major);
    for (const { step } of steps.filter((s) => usesOf(s.step, "actions/setup-node")))
      expect(step.with?.["node-version"]).toBe("${{ env.NODE_MAJOR }}");
  });

  it("grants read-only permissions, cancels superseded runs, and lets only the publish job write packages", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.concurrency.group).toContain("${{ github.ref }}");
    for (const [name, job] of jobs) {
      const writes = Object.entries(job.permissions ?? {}).filter(([, v]) => v === "write");
      expect({ name, writes }).toEqual({ name, writes: name === "publish" ? [["packages", "write"]] : [] });
    }
  });

  it("publishes only on a push to main, after every other job", () => {
    const publish = workflow.jobs.publish!;
    const condition = publish.if ?? "";
    expect(condition).toContain("github.ref == 'refs/heads/main'");
    expect(condition).toContain("github.event_name == 'push'");
    expect(condition).not.toContain("||");
    expect([publish.needs].flat().sort()).toEqual(
      jobs
        .map(([n]) => n)
        .filter((n) => n !== "publish")
        .sort(),
    );
    // No other job logs in to a registry or pushes.
    for (const { job, step } of steps) {
      if (job === "publish") continue;
      expect(usesOf(step, "docker/login-action")).toBe(false);
      expect(step.with?.push ?? false).toBe(false);
    }
  });

  it("tags the pushed image ghcr.io/<owner>/topo-operator with the commit SHA and latest", () => {
    const publish = workflow.jobs.publish!.steps;
    const meta = publish.find((s) => usesOf(s, "docker/metadata-action"))!;
    expect(meta.with?.images).toBe("${{ env.IMAGE_NAME }}");
    expect(workflow.env.IMAGE_NAME).toBe("ghcr.io/${{ github.repository_owner }}/topo-operator");
    const tags = String(meta.with?.tags)
      .split("\n")
      .map((t) => t.trim())
      .filter(Boolean);
    expect(tags.sort()).toEqual(["type=raw,value=${{ github.sha }}", "type=raw,value=latest"]);
    const push = publish.find((s) => usesOf(s, "docker/build-push-action"))!;
    expect(push.with?.push).toBe(true);
    expect(push.with?.tags).toBe(`\${{ steps.${meta.id}.outputs.tags }}`);
    const login = publish.find((s) => usesOf(s, "docker/login-action"))!;
    expect(login.with?.registry).toBe("ghcr.io");
    expect(publish.indexOf(login)).toBeLessThan(publish.indexOf(push));
  });

  it("builds with the GitHub Actions layer cache, from the Dockerfile's base-image build args", () => {
    const builds = steps.filter((s) => usesOf(s.step, "docker/build-push-action"));
    expect(builds.map((b) => b.job).sort()).toEqual(["image", "publish"]);
    for (const { job, step } of builds) {
      expect(step.with?.["cache-from"]).toBe("type=gha");
      expect(step.with?.["cache-to"]).toMatch(/^type=gha(,|$)/);
      expect(workflow.jobs[job]!.steps.some((s) => usesOf(s, "docker/setup-buildx-action"))).toBe(true);
      const args = buildArgs(step);
      expect(Object.keys(args).filter((a) => !(a in dockerfileArgs))).toEqual([]);
      expect(args).toMatchObject({
        BUILD_IMAGE: "${{ env.BUILD_IMAGE }}",
        RUNTIME_IMAGE: "${{ env.RUNTIME_IMAGE }}",
        REVISION: "${{ github.sha }}",
      });
    }
    // The workflow's base images are the Dockerfile's upstream defaults: official Node 24 images.
    expect(workflow.env.BUILD_IMAGE).toBe(dockerfileArgs.BUILD_IMAGE);
    expect(workflow.env.RUNTIME_IMAGE).toBe(dockerfileArgs.RUNTIME_IMAGE);
    expect(workflow.env.RUNTIME_IMAGE).toMatch(/^node:24[-.]/);
  });

  it("scans the built image with Trivy and fails on fixable HIGH or CRITICAL vulnerabilities", () => {
    const image = workflow.jobs.image!.steps;
    const build = image.find((s) => usesOf(s, "docker/build-push-action"))!;
    const trivy = image.find((s) => usesOf(s, "aquasecurity/trivy-action"))!;
    expect(build.with?.load).toBe(true);
    expect(image.indexOf(build)).toBeLessThan(image.indexOf(trivy));
    expect(trivy.with).toMatchObject({
      "image-ref": build.with?.tags,
      severity: "HIGH,CRITICAL",
      "ignore-unfixed": true,
      "exit-code": "1",
    });
  });
});

describe("the scripts only CI calls", () => {
  it("hack/ci-export.sh hands a command's last output line to later steps through $GITHUB_ENV", () => {
    const dir = mkdtempSync(join(tmpdir(), "topo-ci-export-"));
    try {
      const env = join(dir, "github-env");
      execFileSync("hack/ci-export.sh", ["KUBECONFIG", "printf", "noise\\n/path/to/kubeconfig\\n"], {
        cwd: ROOT,
        env: { ...process.env, GITHUB_ENV: env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect(readFileSync(env, "utf8")).toBe("KUBECONFIG=/path/to/kubeconfig\n");
      const plain = execFileSync("hack/ci-export.sh", ["TOPO_X", "echo", "a b"], {
        cwd: ROOT,
        env: { ...process.env, GITHUB_ENV: "" },
        encoding: "utf8",
      });
      expect(plain).toBe("export TOPO_X=a\\ b\n");
      const bad = spawnSync("hack/ci-export.sh", ["TOPO_X", "false"], {
        cwd: ROOT,
        env: { ...process.env, GITHUB_ENV: env },
      });
      expect(bad.status).not.toBe(0);
      expect(readFileSync(env, "utf8")).toBe("KUBECONFIG=/path/to/kubeconfig\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hack/helm-install.sh installs the chart watching only its own namespace, without the CRD, and waits for it", () => {
    const release = `ci-${suffix()}`;
    const namespace = `topo-ci-${suffix()}`;
    try {
      const out = spawnSync("hack/helm-install.sh", [], {
        cwd: ROOT,
        env: {
          ...process.env,
          TOPO_HELM_RELEASE: release,
          TOPO_HELM_NAMESPACE: namespace,
          TOPO_OPERATOR_IMAGE: LOCAL_IMAGE,
        },
        encoding: "utf8",
      });
      expect(out.stderr).toMatch(/operator ready \d+s after helm upgrade --install/);
      expect(out.status).toBe(0);
      const values = JSON.parse(helm(["get", "values", release, "-n", namespace, "-o", "json"])) as Record<
        string,
        unknown
      >;
      expect(values).toMatchObject({
        watchNamespaces: [namespace],
        crds: { enabled: false },
        image: {
          repository: LOCAL_IMAGE.slice(0, LOCAL_IMAGE.lastIndexOf(":")),
          tag: LOCAL_IMAGE.slice(LOCAL_IMAGE.lastIndexOf(":") + 1),
          pullPolicy: "Never",
        },
      });
      const kinds = parseManifests(helm(["get", "manifest", release, "-n", namespace])).map((m) => m.kind);
      expect(kinds).toContain("Deployment");
      expect(kinds).toContain("Role");
      expect(kinds).not.toContain("ClusterRole");
      expect(kinds).not.toContain("CustomResourceDefinition");
      const status = JSON.parse(helm(["status", release, "-n", namespace, "-o", "json"])) as {
        info: { status: string };
      };
      expect(status.info.status).toBe("deployed");
    } finally {
      spawnSync(cachedTool("helm"), ["uninstall", release, "-n", namespace, "--ignore-not-found", "--wait"]);
      const kubectl = process.env.TOPO_KUBECTL ?? join(ROOT, "hack/kubectl.sh");
      spawnSync(kubectl, ["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
    }
  });
});
