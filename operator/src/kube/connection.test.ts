import { KubeConfig } from "./client.ts";
import { connection, CREDENTIALS_TTL_MS } from "./connection.ts";

const config = (server: string, user: object, cluster: object = {}) => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, ...cluster }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
};

describe("connection", () => {
  it("shares one dispatcher across requests to the same cluster, with the credentials on each", async () => {
    const kc = config("https://127.0.0.1:6443", { token: "t1" }, { skipTLSVerify: true });
    const a = await connection(kc, "https://127.0.0.1:6443/api", "GET");
    const b = await connection(kc, "https://127.0.0.1:6443/apis", "PATCH");
    expect(a.dispatcher).toBeDefined();
    expect(b.dispatcher).toBe(a.dispatcher);
    expect(a.headers.Authorization).toBe("Bearer t1");
    expect(b.headers.Authorization).toBe("Bearer t1");
  });

  it("reads credentials again once CREDENTIALS_TTL_MS has passed (a rotated token), not on every request", async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const kc = config("https://127.0.0.1:6443", { token: "old" }, { skipTLSVerify: true });
    const a = await connection(kc, "https://127.0.0.1:6443/api", "GET", now);
    kc.users[0] = { ...kc.users[0]!, token: "new" };
    clock += CREDENTIALS_TTL_MS - 1;
    expect((await connection(kc, "https://127.0.0.1:6443/api", "GET", now)).headers.Authorization).toBe(
      "Bearer old",
    );
    clock += 1;
    const b = await connection(kc, "https://127.0.0.1:6443/api", "GET", now);
    expect(b.headers.Authorization).toBe("Bearer new");
    expect(b.dispatcher).toBe(a.dispatcher);
  });

  it("opens a new pool when the TLS settings change, and none for each KubeConfig's neighbour", async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const kc = config("https://127.0.0.1:6443", { token: "t" }, { skipTLSVerify: true });
    const a = await connection(kc, "https://127.0.0.1:6443/api", "GET", now);
    clock += CREDENTIALS_TTL_MS;
    kc.clusters[0] = {
      ...kc.clusters[0]!,
      skipTLSVerify: false,
      caData: Buffer.from("x").toString("base64"),
    };
    const b = await connection(kc, "https://127.0.0.1:6443/api", "GET", now);
    expect(b.dispatcher).not.toBe(a.dispatcher);
    const other = config("https://127.0.0.1:6443", { token: "t" }, { skipTLSVerify: true });
    expect((await connection(other, "https://127.0.0.1:6443/api", "GET")).dispatcher).not.toBe(a.dispatcher);
  });

  it("sends basic credentials when the kubeconfig has a username and password", async () => {
    const kc = config(
      "https://127.0.0.1:6443",
      { username: "admin", password: "pw" },
      { skipTLSVerify: true },
    );
    const { headers } = await connection(kc, "https://127.0.0.1:6443/api", "GET");
    expect(headers.Authorization).toBe(`Basic ${Buffer.from("admin:pw").toString("base64")}`);
  });
});
