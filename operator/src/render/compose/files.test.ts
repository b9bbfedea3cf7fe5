// A node's files in Compose: configs (v2) or binds (1.29), secrets from files, names that follow content.
import { resolve } from "../../../../test/unit/fixtures.ts";
import { filesToWrite, renderCompose, renderComposeYaml } from "./index.ts";

const spec = (conf = "a: 1\n", extra: Record<string, unknown> = {}) => ({
  nodes: [
    {
      name: "app",
      image: "app:1",
      files: [
        { path: "/etc/app/app.conf", content: conf },
        { path: "/run/secrets/token", secretRef: { name: "broker", key: "token" } },
      ],
      ...extra,
    },
    { name: "other", image: "o:1" },
  ],
});
const topology = (conf?: string, extra?: Record<string, unknown>) => resolve(spec(conf, extra), { name: "shop" });

describe("a node's files in Compose", () => {
  it("are configs and secrets with Compose v2, each a file at the same absolute target", () => {
    const doc = renderCompose(topology());
    const app = doc.services.app!;
    const dir = filesToWrite(topology()).find((f) => f.content)!.file.split("/")[0]!;
    expect(dir).toMatch(/^app-[0-9a-f]{10}$/);
    expect(app.configs).toEqual([{ source: `${dir}-etc_app_app.conf`, target: "/etc/app/app.conf" }]);
    expect(app.secrets).toEqual([{ source: "app-run_secrets_token", target: "/run/secrets/token" }]);
    expect(doc.configs).toEqual({ [`${dir}-etc_app_app.conf`]: { file: `./files/${dir}/etc/app/app.conf` } });
    expect(doc.secrets).toEqual({ "app-run_secrets_token": { file: "./secrets/app/run_secrets_token" } });
    expect(doc.services.other).not.toHaveProperty("configs");
  });

  it("are read-only binds with docker-compose 1.29, which ignores configs outside Swarm, and still secrets", () => {
    const doc = renderCompose(topology(), { compose: "v1", filesDir: "../../files" });
    expect(doc).not.toHaveProperty("configs");
    expect(doc.services.app!.volumes).toEqual([
      expect.objectContaining({ type: "bind", target: "/etc/app/app.conf", read_only: true }),
    ]);
    expect((doc.services.app!.volumes as { source: string }[])[0]!.source).toMatch(
      /^\.\.\/\.\.\/files\/app-[0-9a-f]{10}\/etc\/app\/app\.conf$/,
    );
    expect(doc.services.app!.secrets).toEqual([{ source: "app-run_secrets_token", target: "/run/secrets/token" }]);
  });

  it("write no secret value and no file content into the compose file, only where they are", () => {
    const yaml = renderComposeYaml(topology("very-particular-content\n"));
    expect(yaml).not.toContain("very-particular-content");
    expect(filesToWrite(topology()).find((f) => f.secretRef)).not.toHaveProperty("content");
  });

  it("name a node's content by its hash: a change moves only that node's files, an unchanged one keeps its path", () => {
    const [a, b] = [renderCompose(topology()), renderCompose(topology("a: 2\n"))];
    expect(b.services.app!.configs).not.toEqual(a.services.app!.configs);
    expect(b.services.other).toEqual(a.services.other);
    expect(renderComposeYaml(topology())).toBe(renderComposeYaml(topology()));
  });

  it("give a task the same hash with either Compose, and another one when a file changes", () => {
    const task = (conf?: string, compose?: "v1" | "v2") =>
      (renderCompose(topology(conf, { task: {} }), compose ? { compose } : {}).services.app!.labels as Record<string, string>)[
        "topo.dev/config-hash"
      ];
    expect(task(undefined, "v1")).toBe(task(undefined, "v2"));
    expect(task("a: 2\n")).not.toBe(task());
  });

  it("keep a node's volumes beside its binds", () => {
    const doc = renderCompose(topology(undefined, { volumes: [{ name: "data", mountPath: "/data", size: "1Gi" }] }), {
      compose: "v1",
    });
    expect((doc.services.app!.volumes as { type: string }[]).map((v) => v.type)).toEqual(["volume", "bind"]);
  });
});
