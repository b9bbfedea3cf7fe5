import { resolve } from "../../../test/unit/fixtures.ts";
import { describeCarry, inexact, portabilityOf } from "./portability.ts";

const item = (spec: Record<string, unknown>, node: string, field: string) =>
  portabilityOf(resolve(spec, { name: "lab" })).find((i) => i.node === node && i.field === field);

describe("portabilityOf", () => {
  it("says Kubernetes cannot carry a hostPort and Compose publishes a range for replicas", () => {
    const spec = {
      nodes: [
        { name: "web", image: "w:1", replicas: 3, ports: [{ name: "http", port: 80, hostPort: 18080 }] },
      ],
    };
    const hostPort = item(spec, "web", "ports[0].hostPort")!;
    expect(hostPort.kube.carry).toBe("none");
    expect(hostPort.kube.how).toContain("Service lab-web");
    expect(hostPort.compose).toEqual({
      carry: "approximate",
      how: "publishes 18080-18082, one per container",
    });
    expect(
      item({ nodes: [{ ...spec.nodes[0], replicas: 1 }] }, "web", "ports[0].hostPort")!.compose.carry,
    ).toBe("exact");
  });

  it("says Compose accepts placement and ignores it, where it is written, and nothing for spread none", () => {
    const spec = {
      placement: { spread: "zones" },
      nodes: [
        { name: "api", image: "a:1", replicas: 3, placement: { maxSkew: 2 } },
        { name: "db", image: "d:1" },
      ],
      generators: [
        { prefix: "c", count: 2, shape: "ring", template: { image: "c:1", placement: { spread: "none" } } },
      ],
    };
    const top = item(spec, "", "placement")!;
    expect(top.path).toEqual(["spec", "placement"]);
    expect(describeCarry(top, "compose")).toBe(
      "placement: compose cannot carry it: one machine: Compose accepts placement and ignores it, every container runs on this Docker engine",
    );
    expect(item(spec, "api", "placement")).toMatchObject({
      path: ["spec", "nodes", 0, "placement"],
      kube: { carry: "exact" },
      compose: { carry: "none" },
    });
    expect(item(spec, "db", "placement")).toBeUndefined();
    expect(item(spec, "c-0", "placement")).toMatchObject({
      path: ["spec", "generators", 0, "template", "placement"],
      compose: { carry: "exact" },
    });
  });

  it("makes a one-way edge an approximation on Compose, and an edge declared both ways exact", () => {
    const one = {
      nodes: [
        { name: "a", image: "x", ports: [{ name: "p", port: 1 }], connectsTo: ["b"] },
        { name: "b", image: "x", ports: [{ name: "p", port: 1 }] },
      ],
    };
    expect(item(one, "a", "connectsTo[0]")!.compose.carry).toBe("approximate");
    const both = { nodes: [one.nodes[0], { ...one.nodes[1], connectsTo: ["a"] }] };
    expect(item(both, "a", "connectsTo[0]")!.compose.carry).toBe("exact");
    expect(item({ ...one, isolation: "none" }, "a", "connectsTo[0]")).toBeUndefined();
  });

  it("names the tool a check needs inside the image, and what Kubernetes rounds", () => {
    const spec = {
      nodes: [
        {
          name: "api",
          image: "api:1",
          ports: [{ name: "http", port: 8080 }],
          health: { http: { path: "/ready", port: "http" }, interval: "500ms" },
        },
      ],
    };
    expect(item(spec, "api", "health.http")!.compose.how).toMatch(
      /^runs wget .*http:\/\/127\.0\.0\.1:8080\/ready.*image api:1 must have wget/,
    );
    expect(item(spec, "api", "health.interval")!.kube).toEqual({
      carry: "approximate",
      how: "500ms is rounded up to whole seconds",
    });
  });

  it("points at where a field is written: a generator template or spec.defaults", () => {
    const spec = {
      defaults: { resources: { cpu: "100m" } },
      generators: [
        {
          prefix: "g",
          count: 2,
          shape: "linear",
          template: { image: "x", volumes: [{ name: "d", mountPath: "/d", size: "1Gi" }] },
        },
      ],
    };
    const items = portabilityOf(resolve(spec, { name: "lab" }));
    expect(items.find((i) => i.node === "g-1" && i.field === "resources")!.path).toEqual([
      "spec",
      "defaults",
      "resources",
    ]);
    expect(items.find((i) => i.node === "g-1" && i.field === "volumes[0]")!.path).toEqual([
      "spec",
      "generators",
      0,
      "template",
      "volumes",
      0,
    ]);
    expect(inexact(items, "compose").map((i) => describeCarry(i, "compose"))).toContain(
      "resources: compose approximates it: cpus and mem_limit limit the container as on Kubernetes; nothing reserves them for it (Kubernetes requests the same amounts)",
    );
  });
});
