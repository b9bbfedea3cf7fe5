// A node's files in Compose: content files as `configs:` (Compose v2) or read-only bind mounts (docker-compose
// 1.29, which ignores configs outside Swarm), secret files as `secrets:` (both bind-mount a file secret at an
// absolute target). Every entry points at a file the caller writes with the file's mode: a bind mount keeps
// the host file's mode, and neither Compose applies `mode:` to a file source. Content goes to a directory
// named by its hash (`<node>-<hash>/`), so an unchanged file keeps its path from one revision to the next and
// Compose recreates only the service whose files changed (pure).
import { createHash } from "node:crypto";
import type { SecretRef } from "../../api/schema.ts";
import type { ResolvedNode, Topology } from "../../api/topology.ts";
import { fileKeys } from "../k8s/index.ts";

/** Which Compose reads the file: v2 (the plugin, the Compose Specification) or docker-compose 1.29. */
export type ComposeVersion = "v1" | "v2";

export interface ComposeFilesOptions {
  compose: ComposeVersion;
  /** Where content files are, relative to the compose file (default `./files`). */
  filesDir: string;
  /** Where secret files are, relative to the compose file (default `./secrets`): a directory only its owner reads. */
  secretsDir: string;
}

/** A file a caller writes before Compose runs: its content, or the Secret key whose value it holds. */
export interface FileToWrite {
  node: string;
  /** The path in the container. */
  target: string;
  /** The path under filesDir (content) or secretsDir (a secret). */
  file: string;
  content?: string;
  secretRef?: SecretRef;
  mode: number;
}

const escape = (text: string) => text.replace(/\$/g, () => "$$");

/** `<node>-<hash>`: the directory of a node's content files, named by their paths, contents and modes. */
export function contentDir(node: ResolvedNode): string | undefined {
  const content = node.files.filter((f) => f.content !== undefined);
  if (content.length === 0) return undefined;
  const hash = createHash("sha256")
    .update(JSON.stringify(content.map((f) => [f.path, f.content, f.mode])))
    .digest("hex")
    .slice(0, 10);
  return `${node.name}-${hash}`;
}

/** Every file of a node, where it is written and what it holds. */
export function nodeFiles(node: ResolvedNode): FileToWrite[] {
  const keys = fileKeys(node.files);
  const dir = contentDir(node);
  return node.files.map((f) => ({
    node: node.name,
    target: f.path,
    ...(f.secretRef
      ? { file: `${node.name}/${keys.get(f.path)!}`, secretRef: f.secretRef }
      : { file: `${dir!}/${f.path.slice(1)}`, content: f.content! }),
    mode: f.mode,
  }));
}

/** Every file of a topology's nodes: what `topo up` and `topo compose --out` write. */
export function filesToWrite(topology: Topology): FileToWrite[] {
  return topology.nodes.flatMap(nodeFiles);
}

/** The compose name of a file's config or secret: `<node>-<key>` (a secret), `<dir>-<key>` (a config). */
function entryName(node: ResolvedNode, f: FileToWrite): string {
  const key = fileKeys(node.files).get(f.target)!;
  return f.secretRef ? `${node.name}-${key}` : `${f.file.split("/")[0]!}-${key}`;
}

/** The service's `configs`, `secrets` and (docker-compose 1.29) bind `volumes` for its files. */
export function renderServiceFiles(
  node: ResolvedNode,
  opts: ComposeFilesOptions,
): { configs?: unknown[]; secrets?: unknown[]; binds?: unknown[] } {
  const files = nodeFiles(node);
  const content = files.filter((f) => !f.secretRef);
  const secrets = files.filter((f) => f.secretRef);
  const ref = (f: FileToWrite) => ({ source: entryName(node, f), target: escape(f.target) });
  return {
    ...(content.length && opts.compose === "v2" ? { configs: content.map(ref) } : {}),
    ...(content.length && opts.compose === "v1"
      ? {
          binds: content.map((f) => ({
            type: "bind",
            source: escape(`${opts.filesDir}/${f.file}`),
            target: escape(f.target),
            read_only: true,
          })),
        }
      : {}),
    ...(secrets.length ? { secrets: secrets.map(ref) } : {}),
  };
}

/** The top-level `configs` and `secrets`: each a file. */
export function renderFileEntries(
  topology: Topology,
  opts: ComposeFilesOptions,
): { configs?: Record<string, { file: string }>; secrets?: Record<string, { file: string }> } {
  const configs: Record<string, { file: string }> = {};
  const secrets: Record<string, { file: string }> = {};
  for (const node of topology.nodes)
    for (const f of nodeFiles(node)) {
      if (f.secretRef) secrets[entryName(node, f)] = { file: escape(`${opts.secretsDir}/${f.file}`) };
      else if (opts.compose === "v2") configs[entryName(node, f)] = { file: escape(`${opts.filesDir}/${f.file}`) };
    }
  return {
    ...(Object.keys(configs).length ? { configs } : {}),
    ...(Object.keys(secrets).length ? { secrets } : {}),
  };
}
