// A task as a Compose service: run once (restart "no"), its dependents waiting for its successful end.
import { parse } from "yaml";
import { resolve } from "../../../../test/unit/fixtures.ts";
import { renderCompose, renderComposeYaml } from "./index.ts";

const shop = (env: Record<string, string> = {}) =>
  resolve({
    nodes: [
      { name: "db", image: "postgres:16", ports: [{ name: "pg", port: 5432 }], health: { tcp: { port: "pg" } } },
      {
        name: "migrate",
        image: "shop:2",
        command: ["alembic", "upgrade", "head"],
        task: { retries: 2, timeout: "5m" },
        dependsOn: ["db"],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
      },
      { name: "api", image: "shop:2", ports: [{ name: "http", port: 8000 }], dependsOn: ["migrate", "db"] },
    ],
  });

describe("a task on Compose", () => {
  it("is a service that is never restarted, waits for what it depends on, and publishes nothing", () => {
    const { services } = renderCompose(shop());
    expect(services.migrate).toMatchObject({
      image: "shop:2",
      entrypoint: ["alembic", "upgrade", "head"],
      restart: "no",
      depends_on: { db: { condition: "service_healthy" } },
      deploy: { replicas: 1 },
    });
    expect(services.migrate!.ports).toBeUndefined();
    expect(services.migrate!.healthcheck).toBeUndefined();
    expect(services.db!.restart).toBe("unless-stopped");
  });

  it("makes its dependents wait until it completed successfully", () => {
    expect(renderCompose(shop()).services.api!.depends_on).toEqual({
      migrate: { condition: "service_completed_successfully" },
      db: { condition: "service_healthy" },
    });
  });

  it("labels its container with what it runs, and only a task's", () => {
    const { services } = renderCompose(shop());
    const labels = (s: string) => services[s]!.labels as Record<string, string>;
    expect(labels("migrate")["topo.dev/config-hash"]).toMatch(/^[0-9a-f]{16}$/);
    expect(labels("api")["topo.dev/config-hash"]).toBeUndefined();
    expect(labels("migrate")["topo.dev/config-hash"]).not.toBe(
      (renderCompose(shop({ X: "1" })).services.migrate!.labels as Record<string, string>)["topo.dev/config-hash"],
    );
  });

  it('writes restart "no" quoted, so docker-compose 1.29 (YAML 1.1) does not read it as false', () => {
    const yaml = renderComposeYaml(shop({ ENABLED: "yes", MODE: "off" }));
    expect(yaml).toContain('restart: "no"');
    expect(yaml).toContain('ENABLED: "yes"');
    expect(yaml).toContain('MODE: "off"');
    expect(parse(yaml).services.migrate.restart).toBe("no");
  });

  it("says which nodes are tasks in x-topo", () => {
    const nodes = renderCompose(shop())["x-topo"].nodes;
    expect(nodes.find((n) => n.name === "migrate")!.task).toEqual({ retries: 2, timeout: "5m" });
    expect(nodes.find((n) => n.name === "api")!.task).toBeUndefined();
  });
});
