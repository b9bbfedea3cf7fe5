// Labels, selectors and owner references that every rendered object carries (pure).
import {
  API_VERSION,
  KIND,
  LABEL_GROUP,
  LABEL_GROUP_REVISION,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  LABEL_NODE,
  LABEL_TOPOLOGY,
  MANAGED_BY,
} from "../../api/constants.ts";
import type { Topology } from "../../api/topology.ts";

export function nodeLabels(topology: string, node: string): Record<string, string> {
  return {
    [LABEL_NAME]: node,
    [LABEL_INSTANCE]: topology,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_TOPOLOGY]: topology,
    [LABEL_NODE]: node,
  };
}

/** The immutable Deployment selector: only labels that never change for a node. */
export function selectorLabels(topology: string, node: string): Record<string, string> {
  return { [LABEL_TOPOLOGY]: topology, [LABEL_NODE]: node };
}

/** The labels a generated group's pods share (on the pod template only: never in a selector). */
export function groupLabels(group: { name: string; revision: string } | undefined): Record<string, string> {
  return group === undefined ? {} : { [LABEL_GROUP]: group.name, [LABEL_GROUP_REVISION]: group.revision };
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller: boolean;
    blockOwnerDeletion: boolean;
  }[];
}

/** Metadata of a child object: name, namespace, labels, and the owner reference when the Topology's uid is known. */
export function childMeta(topology: Topology, node: string, name: string): ObjectMeta {
  return {
    name,
    ...(topology.namespace ? { namespace: topology.namespace } : {}),
    labels: nodeLabels(topology.name, node),
    ...(topology.uid
      ? {
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: KIND,
              name: topology.name,
              uid: topology.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        }
      : {}),
  };
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  /**
   * A ConfigMap has none at run time (renderConfigMap): read spec only of the kinds that have one, as every
   * reader does (Deployment, Job, Service...).
   */
  spec: Record<string, unknown>;
  /** A ConfigMap's. */
  data?: Record<string, string>;
  immutable?: boolean;
}
