// A task's Job: one per task and template, named by its hash, from retries and timeout; no Service.
import { resolve } from "../../../../test/unit/fixtures.ts";
import { renderKubernetes } from "./index.ts";
import { jobName } from "./job.ts";

type Obj = {
  kind: string;
  metadata: { name: string; labels: Record<string, string>; ownerReferences?: unknown[] };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads arbitrary rendered fields
  spec: Record<string, any>;
};

const shop = (migrate: Record<string, unknown> = {}) =>
  resolve({
    nodes: [
      { name: "db", image: "postgres:16", ports: [{ name: "pg", port: 5432 }] },
      {
        name: "migrate",
        image: "shop:2",
        command: ["alembic", "upgrade", "head"],
        task: { retries: 2, timeout: "5m" },
        dependsOn: ["db"],
        ...migrate,
      },
      { name: "api", image: "shop:2", ports: [{ name: "http", port: 8000 }], dependsOn: ["migrate"] },
    ],
  });
const render = (t: ReturnType<typeof shop>) => renderKubernetes(t) as unknown as Obj[];
const jobOf = (objs: Obj[]) => objs.find((o) => o.kind === "Job")!;

describe("a task on Kubernetes", () => {
  it("is a Job, run once with restartPolicy Never, backoffLimit from retries and activeDeadlineSeconds from timeout", () => {
    const objs = render(shop());
    const job = jobOf(objs);
    expect(job.metadata.name).toMatch(/^demo-migrate-[0-9a-f]{10}$/);
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 300 });
    expect(job.spec.template.spec).toMatchObject({ restartPolicy: "Never" });
    expect(job.spec.template.spec.containers[0]).toMatchObject({
      name: "migrate",
      image: "shop:2",
      command: ["alembic", "upgrade", "head"],
    });
    expect(
      job.metadata.name.endsWith(job.spec.template.metadata.annotations["topo.dev/config-hash"].slice(0, 10)),
    ).toBe(true);
    expect(job.metadata.labels["topo.dev/node"]).toBe("migrate");
  });

  it("takes the defaults of `task: {}`: backoffLimit 0 and 300 s", () => {
    expect(jobOf(render(shop({ task: {} }))).spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 300,
    });
  });

  it("has no Deployment and no Service, and a NetworkPolicy that admits nothing", () => {
    const objs = render(shop());
    const names = (kind: string) => objs.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    expect(names("Deployment")).toEqual(["demo-db", "demo-api"]);
    expect(names("Service")).toEqual(["demo-db", "demo-api"]);
    const policy = objs.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "demo-migrate")!;
    expect(policy.spec.ingress).toBeUndefined();
    // db admits migrate, which dependsOn it; nothing connects to the task, and api's peers leave it out.
    const db = objs.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "demo-db")!;
    expect(db.spec.ingress[0].from[0].podSelector.matchExpressions[0].values).toEqual(["migrate"]);
    const api = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "demo-api")!;
    expect(api.spec.template.spec.containers[0].env).toContainEqual({ name: "TOPO_PEERS", value: "" });
  });

  it("is applied before the Deployments, after the NetworkPolicies", () => {
    const kinds = render(shop()).map((o) => o.kind);
    expect(kinds.indexOf("Job")).toBeGreaterThan(kinds.lastIndexOf("NetworkPolicy"));
    expect(kinds.indexOf("Job")).toBeLessThan(kinds.indexOf("Deployment"));
  });

  it("gets a new Job name when its template changes, and the same one when only another node does", () => {
    const a = jobOf(render(shop())).metadata.name;
    expect(jobOf(render(shop({ image: "shop:3" }))).metadata.name).not.toBe(a);
    const other = resolve({
      nodes: [
        { name: "db", image: "postgres:17", ports: [{ name: "pg", port: 5432 }] },
        {
          name: "migrate",
          image: "shop:2",
          command: ["alembic", "upgrade", "head"],
          task: { retries: 2, timeout: "5m" },
          dependsOn: ["db"],
        },
        { name: "api", image: "shop:9", ports: [{ name: "http", port: 8000 }], dependsOn: ["migrate"] },
      ],
    });
    expect(jobOf(renderKubernetes(other) as unknown as Obj[]).metadata.name).toBe(a);
  });

  it("keeps a long name within 63 characters, the hash whole", () => {
    const name = jobName("t".repeat(30), "n".repeat(32), "0123456789abcdef");
    expect(name).toHaveLength(63);
    expect(name.endsWith("-0123456789")).toBe(true);
  });
});
