import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { leanModuleUrl, REDIRECTS } from "./lean-loader.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const DIST = `file://${ROOT}/node_modules/@kubernetes/client-node/dist/`;

describe("leanModuleUrl", () => {
  it("redirects the generated index only when config.js imports it", () => {
    expect(leanModuleUrl("./gen/index.js", `${DIST}config.js`)).toMatch(/^data:text\/javascript,/);
    expect(leanModuleUrl("./gen/index.js", `${DIST}api.js`)).toBeUndefined();
    expect(leanModuleUrl("./gen/index.js", undefined)).toBeUndefined();
  });

  it("redirects the serializer only when cache.js imports it", () => {
    expect(leanModuleUrl("./serializer.js", `${DIST}cache.js`)).toMatch(/^data:/);
    expect(leanModuleUrl("./serializer.js", `${DIST}object.js`)).toBeUndefined();
  });

  it("names only modules that client-node really imports from the importers it names", async () => {
    const { readFileSync } = await import("node:fs");
    for (const r of REDIRECTS) {
      const source = readFileSync(new URL(`${DIST}${r.parent.split("/").at(-1)}`), "utf8");
      expect(source).toContain(`from '${r.specifier}'`);
    }
  });
});

// In a real Node process (the loader is a process-wide hook, which Jest's module system does not use):
// the operator's modules load and work without one generated model or API class being loaded.
describe("registerLeanLoader in a node process", () => {
  const script = `
    import { registerHooks } from "node:module";
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const { registerLeanLoader } = await import(${JSON.stringify(`${ROOT}/operator/src/kube/lean-loader.ts`)});
    registerLeanLoader();
    await import(${JSON.stringify(`${ROOT}/operator/src/cli/operator.ts`)});
    const { KubeConfig, ListWatch, RequestContext, HttpMethod } = await import(${JSON.stringify(`${ROOT}/operator/src/kube/client.ts`)});
    const kc = new KubeConfig();
    kc.loadFromString(JSON.stringify({
      apiVersion: "v1", kind: "Config", "current-context": "c",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    }));
    const ctx = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    let query;
    const watch = { watch: async (_p, q) => { query = q; return new AbortController(); } };
    const lw = new ListWatch("/api/v1/pods", watch, async () => ({ metadata: { resourceVersion: "1" }, items: [] }), false, "a=b");
    await lw.start();
    console.log(JSON.stringify({
      server: kc.getCurrentCluster().server,
      auth: ctx.getHeaders().Authorization,
      query,
      models: loaded.filter((u) => /\\/gen\\/models\\/V1|ObjectParamAPI|models\\/all\\.js/.test(u)).length,
      lean: loaded.filter((u) => u.startsWith("data:")).length,
    }));
  `;

  it("loads KubeConfig and ListWatch without the generated models", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({
      server: "https://127.0.0.1:6443",
      auth: "Bearer t",
      query: { resourceVersion: "1", labelSelector: "a=b" },
      models: 0,
      lean: 2,
    });
  });
});
