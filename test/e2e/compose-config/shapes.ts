// Topologies of every generator shape at several counts, shared by the compose unit tests and the config check.
import type { Shape } from "../../../operator/src/api/schema.ts";
import type { Topology } from "../../../operator/src/api/topology.ts";
import { resolve } from "../../unit/fixtures.ts";

export const SHAPES: Shape[] = ["linear", "ring", "star", "mesh"];
export const COUNTS = [1, 2, 3, 4, 5, 8];

/** `count` nodes c-0..c-(count-1) in `shape`, plus an isolated node and one that every c-i depends on. */
export function shapeTopology(shape: Shape, count: number): Topology {
  return resolve(
    {
      nodes: [
        { name: "store", image: "busybox:1.36", ports: [{ name: "tcp", port: 7000 }] },
        { name: "lonely", image: "busybox:1.36" },
      ],
      generators: [
        {
          prefix: "c",
          count,
          shape,
          template: {
            image: "busybox:1.36",
            command: ["sh", "-c"],
            args: ["sleep infinity"],
            ports: [{ name: "http", port: 8080 }],
            health: { tcp: { port: "http" }, interval: "1s" },
            dependsOn: ["store"],
          },
        },
      ],
    },
    { name: `${shape}-${count}` },
  );
}

/** The undirected edges a shape should have, written from the contract, as "a|b" with a < b by name. */
export function expectedEdges(shape: Shape, count: number): Set<string> {
  const edges = new Set<string>();
  const add = (a: string, b: string) => edges.add(a < b ? `${a}|${b}` : `${b}|${a}`);
  for (let i = 0; i < count; i++) {
    add(`c-${i}`, "store");
    if (shape === "linear" && i + 1 < count) add(`c-${i}`, `c-${i + 1}`);
    if (shape === "ring" && count > 1 && i !== (i + 1) % count) add(`c-${i}`, `c-${(i + 1) % count}`);
    if (shape === "star" && i > 0) add(`c-${i}`, "c-0");
    if (shape === "mesh") for (let j = i + 1; j < count; j++) add(`c-${i}`, `c-${j}`);
  }
  return edges;
}
