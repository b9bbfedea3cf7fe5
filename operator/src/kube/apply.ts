// Writing objects the way every controller here does: server-side apply under one field manager with
// `force` and strict field validation, deletes in the background, and adopt() for owner references.
import type { KubeConfig } from "./client.ts";
import { NotFound } from "./errors.ts";
import { resourcePath } from "./resources.ts";
import { request } from "./rest.ts";

export interface ObjectRef {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export interface ApplyOptions {
  fieldManager: string;
  dryRun?: boolean;
  /** Read back only the applied object's metadata (rest.ts `answer`). */
  answer?: "object" | "metadata";
}

/** Server-side apply under `fieldManager`, forcing ownership, with strict field validation. */
export function serverSideApply<T>(kc: KubeConfig, obj: ObjectRef, opts: ApplyOptions): Promise<T> {
  const path = resourcePath(obj.apiVersion!, obj.kind, obj.metadata.namespace, obj.metadata.name);
  return request<T>(kc, "PATCH", path, {
    query: {
      fieldManager: opts.fieldManager,
      force: "true",
      fieldValidation: "Strict",
      dryRun: opts.dryRun ? "All" : undefined,
    },
    body: obj,
    contentType: "application/apply-patch+yaml",
    ...(opts.answer ? { answer: opts.answer } : {}),
  });
}

/** Deletes an object in the background; a missing object is already deleted. */
export async function deleteObject(kc: KubeConfig, obj: ObjectRef): Promise<void> {
  const path = resourcePath(obj.apiVersion!, obj.kind, obj.metadata.namespace, obj.metadata.name);
  await request(kc, "DELETE", path, { query: { propagationPolicy: "Background" } }).catch((err: unknown) => {
    if (!(err instanceof NotFound)) throw err;
  });
}

/** Reads an object; undefined when it does not exist. */
export async function getObject<T>(kc: KubeConfig, ref: ObjectRef): Promise<T | undefined> {
  const path = resourcePath(ref.apiVersion!, ref.kind, ref.metadata.namespace, ref.metadata.name);
  return request<T>(kc, "GET", path).catch((err: unknown) => {
    if (err instanceof NotFound) return undefined;
    throw err;
  });
}

export interface Owner {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string };
}

/** The object, owned by `owner` as its controller, in the owner's namespace, with `labels` added (kopf's adopt). */
export function adopt<T extends { metadata: Record<string, unknown> }>(
  obj: T,
  owner: Owner,
  labels: Record<string, string> = {},
): T {
  const meta = obj.metadata as { labels?: Record<string, string> };
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      namespace: owner.metadata.namespace,
      labels: { ...meta.labels, ...labels },
      ownerReferences: [
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
  };
}
