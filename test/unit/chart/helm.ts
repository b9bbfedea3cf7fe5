// Helm for the chart's tests: the pinned binary from the build cache, and `helm template` as objects. Rendering
// needs no cluster, so the render checks run in the unit suite; test/e2e/chart installs the same chart.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export const ROOT = join(import.meta.dirname, "..", "..", "..");
export const CHART = join(ROOT, "charts/topo-operator");

/**
 * A pinned tool from the cache hack/build-binaries.sh fills, built there from its Go module on first use.
 * The build runs under a lock: on a cold cache, test files in parallel workers would otherwise build into
 * the same directory at once.
 */
export function cachedTool(name: "helm" | "actionlint" | "kube-score"): string {
  const path = {
    helm: '"$TOPO_CACHE/bin/helm-$HELM_VERSION/helm"',
    actionlint: '"$TOPO_CACHE/bin/actionlint-${ACTIONLINT_VERSION:-v1.7.7}/actionlint"',
    "kube-score": '"$TOPO_CACHE/bin/kube-score-$KUBE_SCORE_VERSION/kube-score"',
  }[name];
  const script = [
    "set -euo pipefail",
    "source hack/lib/versions.sh",
    `if [ ! -x ${path} ]; then`,
    '  mkdir -p "$TOPO_CACHE/bin"',
    `  flock "$TOPO_CACHE/bin/.build-${name}.lock" hack/build-binaries.sh ${name} >&2`,
    "fi",
    `echo ${path}`,
  ].join("\n");
  return execFileSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8" }).trim();
}

let helmPath: string | undefined;

/** Runs helm; throws with its stderr when it fails. */
export function helm(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  helmPath ??= cachedTool("helm");
  try {
    return execFileSync(helmPath, args, {
      cwd: ROOT,
      encoding: "utf8",
      input: opts.input,
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`helm ${args.join(" ")} failed: ${e.stderr || e.stdout || e.message}`, { cause: err });
  }
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
}

/** Parses a multi-document YAML stream (helm's output) into objects, without the empty documents. */
export function parseManifests(yaml: string): Manifest[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** `helm template` of release `topo` in topo-system, as objects. */
export function render(set: string[] = [], extra: string[] = []): Manifest[] {
  const args = ["template", "topo", CHART, "--namespace", "topo-system", ...extra];
  for (const s of set) args.push("--set", s);
  return parseManifests(helm(args));
}
