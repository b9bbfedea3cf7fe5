// The parts of @kubernetes/client-node the operator uses, imported from their own modules. Its package
// index also loads every generated API class and model (~45 MiB of resident memory that the operator,
// which speaks plain JSON REST, never touches); see lean-loader.ts for the one import that still does.
export { KubeConfig } from "@kubernetes/client-node/dist/config.js";
export { ListWatch } from "@kubernetes/client-node/dist/cache.js";
export { Watch } from "@kubernetes/client-node/dist/watch.js";
export { HttpMethod, RequestContext } from "@kubernetes/client-node/dist/gen/http/http.js";
export type { KubernetesObject, KubernetesListObject } from "@kubernetes/client-node";
