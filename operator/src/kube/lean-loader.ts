// A module resolve hook for the `topo` executable, so that the operator does not hold client-node's
// generated models in memory. Two of client-node's modules import them for almost nothing:
// - config.js imports the generated index (every API class and model, ~40 MiB resident) for
//   createConfiguration and ServerConfiguration, which only KubeConfig.makeApiClient uses;
// - cache.js (ListWatch) imports the model serializer (~17 MiB) to "serialize" a label selector, a string.
// The hook gives those two importers, and only them, lean stand-ins; everything else resolves as usual.
// The operator speaks plain JSON REST (see kube/rest.ts) and never uses a generated class.
import { registerHooks } from "node:module";

const DIST = "/@kubernetes/client-node/dist/";

/** The generated index without models/all.js and the API classes (compare client-node's gen/index.js). */
export function leanGeneratedIndex(genDir: URL): string {
  const at = (file: string) => JSON.stringify(new URL(file, genDir).href);
  return [
    `export * from ${at("http/http.js")};`,
    `export * from ${at("auth/auth.js")};`,
    `export { createConfiguration } from ${at("configuration.js")};`,
    `export * from ${at("apis/exception.js")};`,
    `export * from ${at("servers.js")};`,
    `export { RequiredError } from ${at("apis/baseapi.js")};`,
    `export { Observable } from ${at("rxjsStub.js")};`,
  ].join("\n");
}

/** ListWatch serializes only its label and field selectors, as type "string": the identity. */
export const STRING_SERIALIZER = [
  "export const ObjectSerializer = {",
  "  serialize(data, type) {",
  '    if (type !== "string") throw new Error(`topo lean loader: cannot serialize ${type}`);',
  "    return data;",
  "  },",
  "};",
].join("\n");

interface Redirect {
  /** The importing module, as the end of its URL. */
  parent: string;
  specifier: string;
  source(parentURL: string): string;
}

export const REDIRECTS: readonly Redirect[] = [
  {
    parent: `${DIST}config.js`,
    specifier: "./gen/index.js",
    source: (parentURL) => leanGeneratedIndex(new URL("./gen/", parentURL)),
  },
  { parent: `${DIST}cache.js`, specifier: "./serializer.js", source: () => STRING_SERIALIZER },
];

/** The lean stand-in for `specifier` imported by `parentURL`, as a data: URL, or undefined. */
export function leanModuleUrl(specifier: string, parentURL: string | undefined): string | undefined {
  const r = REDIRECTS.find((x) => x.specifier === specifier && parentURL?.endsWith(x.parent));
  return r && `data:text/javascript,${encodeURIComponent(r.source(parentURL!))}`;
}

/** Installs the hook; returns false where module hooks are unavailable (client-node then loads in full). */
export function registerLeanLoader(): boolean {
  if (typeof registerHooks !== "function") return false;
  registerHooks({
    resolve(specifier, context, next) {
      const url = leanModuleUrl(specifier, context.parentURL);
      return url ? { url, format: "module", shortCircuit: true } : next(specifier, context);
    },
  });
  return true;
}
