// A node's files on Kubernetes: its content in one immutable ConfigMap named by the content's hash, every
// file (content or a Secret's key) an item of one projected volume, mounted file by file at its path (pure).
import { createHash } from "node:crypto";
import { ANNOTATION_FILES, MAX_NAME_LENGTH } from "../../api/constants.ts";
import { objectName, type ResolvedFile, type ResolvedNode, type Topology } from "../../api/topology.ts";
import { childMeta, type KubeObject } from "./labels.ts";

/** The projected volume every file of a node is an item of. */
export const FILES_VOLUME = "topo-files";

/** Characters of the content hash in a ConfigMap's name. */
const NAME_HASH = 10;
/** The longest ConfigMap data key (and projected item path) the API server accepts. */
const MAX_KEY = 253;

/** `<topology>-<node>-<hash>`: the name changes with the content, so a ConfigMap is never edited. */
export function configMapName(topology: string, node: string, hash: string): string {
  return `${objectName(topology, node).slice(0, MAX_NAME_LENGTH)}-${hash.slice(0, NAME_HASH)}`;
}

/**
 * Each file's key in the ConfigMap and its item path in the volume: the path without its first '/' and
 * with every character a key cannot hold as '_' (`etc_prometheus_prometheus.yml`), or `file-<i>` when
 * that would be too long or taken by another file.
 */
export function fileKeys(files: readonly ResolvedFile[]): Map<string, string> {
  const keys = new Map<string, string>();
  const taken = new Set<string>();
  files.forEach((f, i) => {
    let key = f.path.slice(1).replace(/[^-._a-zA-Z0-9]/g, "_");
    if (key.length > MAX_KEY || taken.has(key) || /^\.\.?$/.test(key)) key = `file-${i}`;
    taken.add(key);
    keys.set(f.path, key);
  });
  return keys;
}

/** The content files' data, by key: what the ConfigMap holds and its name hashes. */
function contentData(node: ResolvedNode): Record<string, string> {
  const keys = fileKeys(node.files);
  return Object.fromEntries(
    node.files.filter((f) => f.content !== undefined).map((f) => [keys.get(f.path)!, f.content!]),
  );
}

/** The name of the node's ConfigMap, or undefined when it has no content files. */
export function nodeConfigMap(topology: Topology, node: ResolvedNode): string | undefined {
  const data = contentData(node);
  if (Object.keys(data).length === 0) return undefined;
  const hash = createHash("sha256")
    .update(JSON.stringify(Object.entries(data)))
    .digest("hex");
  return configMapName(topology.name, node.name, hash);
}

/** The node's ConfigMap: immutable, owned by the Topology, labelled as its other children. */
export function renderConfigMap(topology: Topology, node: ResolvedNode): KubeObject | undefined {
  const name = nodeConfigMap(topology, node);
  if (!name) return undefined;
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMeta(topology, node.name, name),
    immutable: true,
    data: contentData(node),
  };
  return configMap as KubeObject; // no spec: see KubeObject
}

/** The pod's volume of files: the ConfigMap's items and each Secret's, with their modes. */
export function renderFilesVolume(
  topology: Topology,
  node: ResolvedNode,
): Record<string, unknown> | undefined {
  if (node.files.length === 0) return undefined;
  const keys = fileKeys(node.files);
  const item = (f: ResolvedFile, key: string) => ({ key, path: keys.get(f.path)!, mode: f.mode });
  const configMap = nodeConfigMap(topology, node);
  const sources: Record<string, unknown>[] = [];
  if (configMap)
    sources.push({
      configMap: {
        name: configMap,
        items: node.files.filter((f) => f.content !== undefined).map((f) => item(f, keys.get(f.path)!)),
      },
    });
  // One source per Secret, its items in the order of their paths.
  const secrets = [...new Set(node.files.flatMap((f) => (f.secretRef ? [f.secretRef.name] : [])))];
  for (const secret of secrets)
    sources.push({
      secret: {
        name: secret,
        items: node.files.filter((f) => f.secretRef?.name === secret).map((f) => item(f, f.secretRef!.key)),
      },
    });
  return { name: FILES_VOLUME, projected: { sources } };
}

/** One read-only mount per file, at its path (subPath: the volume's item). */
export function renderFileMounts(node: ResolvedNode): Record<string, unknown>[] {
  const keys = fileKeys(node.files);
  return node.files.map((f) => ({
    name: FILES_VOLUME,
    mountPath: f.path,
    subPath: keys.get(f.path)!,
    readOnly: true,
  }));
}

/** The pod template's annotation naming the ConfigMap it mounts: pruning keeps a ConfigMap a pod uses. */
export function filesAnnotation(topology: Topology, node: ResolvedNode): Record<string, string> {
  const name = nodeConfigMap(topology, node);
  return name ? { [ANNOTATION_FILES]: name } : {};
}
