// portabilityOf(topology): per node and field, what each target carries exactly, approximates or cannot
// carry, with the path where the field is written (pure). It says what the two renderers do, so a user who
// needs identical behaviour on a laptop and in a cluster knows where it differs before running either.
import {
  fileOrigin,
  formatMode,
  formatPath,
  hostPortRange,
  objectName,
  type Path,
  type ResolvedNode,
  type Topology,
} from "../api/topology.ts";
import { parseDuration } from "../api/units.ts";
import { secretVariableName, volumeName } from "../render/compose/index.ts";
import { pvcName } from "../render/k8s/deployment.ts";

export type Carry = "exact" | "approximate" | "none";
export type PortabilityTarget = "kube" | "compose";

export interface Carried {
  carry: Carry;
  /** How the target carries it, when not exactly. */
  how?: string;
}

export interface PortabilityItem {
  /** The node, or "" for the topology as a whole. */
  node: string;
  /** The field, relative to the node: `health.http`, `ports[0].hostPort`, `connectsTo[1]`. */
  field: string;
  /** Where the value is written in the document (the node, a generator template or spec.defaults). */
  path: Path;
  kube: Carried;
  compose: Carried;
}

const EXACT: Carried = { carry: "exact" };
const approx = (how: string): Carried => ({ carry: "approximate", how });
const none = (how: string): Carried => ({ carry: "none", how });

/** Where a node's field was written (rules.ts's `at`). */
const at = (node: ResolvedNode, field: string, ...rest: (string | number)[]): Path => [
  ...(node.origin.fields[field] ?? [...node.origin.path, field]),
  ...rest,
];

const wholeSeconds = (text: string) => (parseDuration(text) ?? 0) % 1000 === 0;

function healthItems(node: ResolvedNode): PortabilityItem[] {
  const h = node.health;
  if (!h) return [];
  const port = String(h.portNumber ?? h.port);
  const notRestarted = "an unhealthy container is reported, not restarted (Kubernetes restarts it: liveness)";
  const check =
    h.kind === "http"
      ? `runs wget -q -O /dev/null http://127.0.0.1:${port}${h.path} inside the container: image ${node.image} must have wget`
      : h.kind === "tcp"
        ? `runs nc -z 127.0.0.1 ${port} inside the container: image ${node.image} must have nc`
        : "";
  const items: PortabilityItem[] = [
    {
      node: node.name,
      field: `health.${h.kind}`,
      path: at(node, "health", h.kind),
      kube: EXACT,
      compose: approx(check ? `${check}; ${notRestarted}` : notRestarted),
    },
  ];
  if ((parseDuration(h.startPeriod) ?? 0) > 0)
    items.push({
      node: node.name,
      field: "health.startPeriod",
      path: at(node, "health", "startPeriod"),
      kube: approx("delays the liveness probe (initialDelaySeconds); readiness is probed from the start"),
      compose: EXACT,
    });
  for (const f of ["interval", "timeout"] as const)
    if (!wholeSeconds(h[f]))
      items.push({
        node: node.name,
        field: `health.${f}`,
        path: at(node, "health", f),
        kube: approx(`${h[f]} is rounded up to whole seconds`),
        compose: EXACT,
      });
  return items;
}

function portItems(topology: Topology, node: ResolvedNode): PortabilityItem[] {
  return node.ports.flatMap((p, i): PortabilityItem[] => {
    const item = {
      node: node.name,
      field: `ports[${i}]`,
      path: at(node, "ports", i),
      kube: EXACT,
      compose: EXACT,
    };
    const range = hostPortRange(node, p);
    if (!range) return [item];
    const ports =
      range.last > range.first ? `${range.first}-${range.last}, one per container` : String(range.first);
    return [
      item,
      {
        node: node.name,
        field: `ports[${i}].hostPort`,
        path: at(node, "ports", i, "hostPort"),
        kube: none(
          `not published on any host: reach it through Service ${objectName(topology.name, node.name)} (kubectl port-forward)`,
        ),
        compose: range.last > range.first ? approx(`publishes ${ports}`) : EXACT,
      },
    ];
  });
}

function envItems(node: ResolvedNode): PortabilityItem[] {
  return node.env.map((e, i) => ({
    node: node.name,
    field: e.secretRef ? `env[${i}].secretRef` : `env[${i}]`,
    path: at(node, "env", i),
    kube: EXACT,
    compose: e.secretRef
      ? approx(
          `read by topo up from ${secretVariableName(e.secretRef)} or ${e.secretRef.name}.env beside the file, not from a Secret`,
        )
      : EXACT,
  }));
}

/**
 * A node's files: the same path, content and mode on both targets. Compose bind-mounts a file that the
 * user who ran topo up owns (root owns it on Kubernetes), which only matters to a mode others cannot read;
 * a secret's value comes from where topo up finds secrets.
 */
function fileItems(node: ResolvedNode): PortabilityItem[] {
  return node.files.map((f, i) => {
    const owner =
      f.mode & 0o004
        ? undefined
        : `owned by the user who ran topo up, not root: with mode ${formatMode(f.mode)} a container user that is neither cannot read it`;
    return {
      node: node.name,
      field: f.secretRef ? `files[${i}].secretRef` : `files[${i}]`,
      path: node.origin.fields[fileOrigin(f.path)] ?? at(node, "files", i),
      kube: EXACT,
      compose: f.secretRef
        ? approx(
            `a Compose secret read by topo up from ${secretVariableName(f.secretRef)} or ${f.secretRef.name}.env beside the file, not from a Secret${owner ? `; ${owner}` : ""}`,
          )
        : owner
          ? approx(owner)
          : EXACT,
    };
  });
}

function edgeItems(topology: Topology, node: ResolvedNode): PortabilityItem[] {
  if (topology.isolation !== "links") return [];
  const byName = new Map(topology.nodes.map((n) => [n.name, n]));
  const reaches = (from: ResolvedNode | undefined, to: string) =>
    !!from && (from.connectsTo.includes(to) || from.dependsOn.includes(to));
  return (["connectsTo", "dependsOn"] as const).flatMap((field) =>
    node[field].flatMap((peer, i): PortabilityItem[] => {
      // dependsOn that connectsTo names too is the same link: reported once, at connectsTo.
      if (field === "dependsOn" && node.connectsTo.includes(peer)) return [];
      const other = byName.get(peer);
      if (other?.task) return [];
      return [
        {
          node: node.name,
          field: `${field}[${i}]`,
          path: at(node, field, i),
          kube: EXACT,
          compose: reaches(other, node.name)
            ? EXACT
            : approx("a shared network: the peer can reach this node too (a NetworkPolicy is one-way)"),
        },
      ];
    }),
  );
}

/** Compose runs every container on one Docker engine: a spread over nodes or zones is accepted and ignored. */
const ONE_MACHINE = none(
  "one machine: Compose accepts placement and ignores it, every container runs on this Docker engine",
);

/** A node's own placement (or its template's), where it is written. */
function placementItems(node: ResolvedNode): PortabilityItem[] {
  if (node.task || !node.origin.fields.placement) return [];
  const compose = node.placement.spread === "none" ? EXACT : ONE_MACHINE;
  return [{ node: node.name, field: "placement", path: at(node, "placement"), kube: EXACT, compose }];
}

function nodeItems(topology: Topology, node: ResolvedNode): PortabilityItem[] {
  const simple = (field: string): PortabilityItem => ({
    node: node.name,
    field,
    path: at(node, field),
    kube: EXACT,
    compose: EXACT,
  });
  const r = node.resources;
  return [
    ...(node.build
      ? [
          {
            node: node.name,
            field: "build",
            path: at(node, "build"),
            kube: approx(
              "the operator never builds: `topo build FILE --push` (or --load) makes the same image and `topo render FILE --images-from-build --topology` pins it",
            ),
            compose: EXACT,
          },
        ]
      : [simple("image")]),
    ...(node.command ? [simple("command")] : []),
    ...(node.args ? [simple("args")] : []),
    ...(node.replicas !== 1 ? [simple("replicas")] : []),
    ...(node.task
      ? [
          {
            node: node.name,
            field: "task",
            path: at(node, "task"),
            kube: EXACT,
            compose: approx(
              "topo up runs it once per change, with its retries and timeout; `docker compose up` alone runs it on every up, without either",
            ),
          },
        ]
      : []),
    ...portItems(topology, node),
    ...envItems(node),
    ...fileItems(node),
    ...healthItems(node),
    ...node.volumes.map((v, i) => ({
      node: node.name,
      field: `volumes[${i}]`,
      path: at(node, "volumes", i),
      kube: approx(
        `PersistentVolumeClaim ${pvcName(topology.name, node.name, v.name)} of ${v.size}: binds only with a default StorageClass (or a PersistentVolume that fits)`,
      ),
      compose: approx(
        `named volume ${topology.name}_${volumeName(node.name, v.name)}: its size (${v.size}) is not enforced`,
      ),
    })),
    ...(r
      ? [
          {
            node: node.name,
            field: "resources",
            path: at(node, "resources"),
            kube: EXACT,
            compose: approx(
              "cpus and mem_limit limit the container as on Kubernetes; nothing reserves them for it (Kubernetes requests the same amounts)",
            ),
          },
        ]
      : []),
    ...placementItems(node),
    ...edgeItems(topology, node),
  ];
}

export function portabilityOf(topology: Topology): PortabilityItem[] {
  const links = topology.isolation === "links";
  const top: PortabilityItem[] = links
    ? [
        {
          node: "",
          field: "isolation",
          path: ["spec", "isolation"],
          kube: approx(
            "NetworkPolicies are enforced only by a network plugin that supports them (kube-router, Calico, Cilium...)",
          ),
          compose: EXACT,
        },
      ]
    : [];
  const placement = topology.spec.placement;
  const spread: PortabilityItem[] = placement
    ? [
        {
          node: "",
          field: "placement",
          path: ["spec", "placement"],
          kube: EXACT,
          compose: placement.spread === "none" ? EXACT : ONE_MACHINE,
        },
      ]
    : [];
  return [...top, ...spread, ...topology.nodes.flatMap((n) => nodeItems(topology, n))];
}

/** The items one target does not carry exactly. */
export function inexact<T extends PortabilityItem>(items: readonly T[], target: PortabilityTarget): T[] {
  return items.filter((i) => i[target].carry !== "exact");
}

const TARGET_NAME: Record<PortabilityTarget, string> = { kube: "kubernetes", compose: "compose" };
const VERB: Record<Exclude<Carry, "exact">, string> = { approximate: "approximates", none: "cannot carry" };

/** `health.http: compose approximates it: ...` for one target of an item. */
export function describeCarry(item: PortabilityItem, target: PortabilityTarget): string {
  const c = item[target];
  if (c.carry === "exact") return `${item.field}: ${TARGET_NAME[target]} carries it exactly`;
  return `${item.field}: ${TARGET_NAME[target]} ${VERB[c.carry]} it: ${c.how}`;
}

/** The path as printed beside a position, for JSON consumers. */
export const itemPath = (item: PortabilityItem) => formatPath(item.path);
