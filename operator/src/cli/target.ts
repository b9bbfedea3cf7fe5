// Whether `topo history|rollback X` means the Compose project of topology FILE X on this machine, or the
// Topology named X in the cluster: -n picks the cluster; otherwise an existing file is a file, and a
// DNS-1123 name that is no file is a Topology's name.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError, UserError, type CommandContext } from "./command.ts";
import { clusterRef, type ClusterRef } from "./cluster-topology.ts";

export type Target = { kind: "compose"; file: string } | { kind: "cluster"; ref: ClusterRef };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function targetOf(
  command: string,
  what: string | undefined,
  namespace: string | undefined,
  ctx: CommandContext,
): Target {
  if (!what) throw new UsageError(`${command} takes a topology FILE, or a Topology NAME in the cluster`);
  if (what === "-")
    throw new UsageError(`${command} reads the state kept beside FILE, so FILE cannot be standard input`);
  if (namespace !== undefined || (!existsSync(resolve(ctx.cwd, what)) && DNS_LABEL.test(what))) {
    if (!DNS_LABEL.test(what))
      throw new UsageError(
        `"${what}" is not a Topology name (with -n, the argument is a NAME in the cluster)`,
      );
    if (namespace !== undefined && !DNS_LABEL.test(namespace))
      throw new UsageError(`"${namespace}" is not a namespace name`);
    return { kind: "cluster", ref: clusterRef(ctx.env, what, namespace) };
  }
  if (!existsSync(resolve(ctx.cwd, what))) throw new UserError(`${what}: no such file`);
  return { kind: "compose", file: resolve(ctx.cwd, what) };
}
