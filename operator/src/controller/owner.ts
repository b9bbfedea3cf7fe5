// A Topology as the owner of its children: the owner reference every child carries, and the test for it.
import { API_VERSION, KIND } from "../api/constants.ts";
import type { Owner } from "../kube/apply.ts";
import type { KubernetesObject } from "../kube/client.ts";
import type { TopologyResource } from "./reconcile.ts";

export function ownerOf(t: TopologyResource): Owner {
  return { apiVersion: API_VERSION, kind: KIND, metadata: t.metadata };
}

export const ownedBy = (uid: string) => (o: KubernetesObject) =>
  o.metadata?.ownerReferences?.some((r) => r.uid === uid) ?? false;
