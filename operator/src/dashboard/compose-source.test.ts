import { renderCompose } from "../render/compose/index.ts";
import { parseTopology } from "../api/parse.ts";
import { composeEnv, containerPhase } from "./compose-source.ts";

/** The compose environment of node `api` and the secret names x-topo lists for it. */
function rendered(env: object[]): [Record<string, string>, string[]] {
  const parsed = parseTopology({
    apiVersion: "topo.dev/v1alpha1",
    kind: "Topology",
    metadata: { name: "shop" },
    spec: { nodes: [{ name: "api", image: "api:1", env }] },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const doc = renderCompose(parsed.topology);
  return [doc.services.api!.environment as Record<string, string>, doc["x-topo"].nodes[0]!.secretRefs];
}

describe("composeEnv", () => {
  it("shows the env a topology declares: literal values unescaped, secrets by name, never a value", () => {
    const [environment, secrets] = rendered([
      { name: "PRICE", value: "$5" },
      { name: "DB_PASSWORD", secretRef: { name: "db-secrets", key: "password" } },
      { name: "API_KEY", secretRef: { name: "keys", key: "api" } },
    ]);
    expect(composeEnv(environment, secrets)).toEqual([
      { name: "PRICE", value: "$5" },
      { name: "DB_PASSWORD", secretRef: { name: "db-secrets", key: "" } },
      { name: "API_KEY", secretRef: { name: "keys", key: "" } },
    ]);
  });

  it("names the variable when two secrets could have made it", () => {
    // Secret db key secrets-token and secret db-secrets key token both become TOPO_SECRET_DB_SECRETS_TOKEN.
    const [environment, secrets] = rendered([
      { name: "TOKEN", secretRef: { name: "db", key: "secrets-token" } },
      { name: "PASSWORD", secretRef: { name: "db-secrets", key: "password" } },
    ]);
    expect(composeEnv(environment, secrets)).toEqual([
      { name: "TOKEN", secretRef: { name: "TOPO_SECRET_DB_SECRETS_TOKEN", key: "" } },
      { name: "PASSWORD", secretRef: { name: "TOPO_SECRET_DB_SECRETS_PASSWORD", key: "" } },
    ]);
  });

  it("reads the list form of environment", () => {
    expect(composeEnv(["A=1", "B", "TOPO_NODE=api"], [])).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "" },
    ]);
  });
});

describe("containerPhase", () => {
  it.each([
    ["running without a health check is Ready", { status: "running", health: "" }, "Ready"],
    ["running and healthy is Ready", { status: "running", health: "healthy" }, "Ready"],
    ["a starting health check is Progressing", { status: "running", health: "starting" }, "Progressing"],
    ["running but unhealthy is Degraded", { status: "running", health: "unhealthy" }, "Degraded"],
    ["created and not started is Waiting", { status: "created", health: "" }, "Waiting"],
    ["exited is Degraded", { status: "exited", health: "" }, "Degraded"],
  ])("%s", (_case, container, phase) => expect(containerPhase(container)).toBe(phase));
});
