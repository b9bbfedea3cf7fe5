// ESLint flat config: typescript-eslint's recommended rules, Prettier owns formatting.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

/** Folders and top-level modules of operator/src, from the bottom of the house up. */
const ALL = ["errors", "io", "api", "graph", "render", "kube", "config", "log", "metrics", "history"].concat([
  "controller",
  "local",
  "plan",
  "dashboard",
  "server",
  "cli",
]);
const without = (...allowed) => ALL.filter((l) => !allowed.includes(l));
/** Top-level modules are `operator/src/<name>.ts`; the others are folders. */
const MODULES = new Set(["errors", "io", "config", "log", "metrics"]);
/**
 * Patterns refusing imports of `names`, from a file `depth` folders below operator/src (0: a top-level
 * module, which imports `./name`; deeper files import `../name` or `../../name`).
 */
const forbidden = (names, depth) =>
  names.map((name) => ({
    regex: `^${depth === 0 ? "\\./" : "(\\.\\./)+"}${name}${MODULES.has(name) ? "\\.ts$" : "/"}`,
    message: `imports point one way: this folder does not import ${name}.`,
  }));
/** The pure core (api, graph, render) does no I/O; its tests may read fixtures. */
const IO = {
  group: ["node:fs", "node:net", "node:http", "node:child_process", "@kubernetes/*"],
  message: "the pure core does no I/O.",
};
const PURE = new Set(["api", "graph", "render"]);
/**
 * One no-restricted-imports block per folder (or top-level module) of operator/src, and for the pure
 * core one more for its code without its tests (a later block's options replace an earlier one's, so
 * that block repeats the folder's patterns beside the I/O ones).
 */
const layers = (table) =>
  Object.entries(table).flatMap(([layer, { forbid }]) => {
    const names = forbid.filter((f) => f !== layer);
    const files = MODULES.has(layer) ? [`operator/src/${layer}.ts`] : [`operator/src/${layer}/**/*.ts`];
    const depth = MODULES.has(layer) ? 0 : 1;
    const rule = (extra) => ({
      "no-restricted-imports": ["error", { patterns: [...forbidden(names, depth), ...extra] }],
    });
    return [
      { files, rules: rule([]) },
      ...(PURE.has(layer) ? [{ files, ignores: ["**/*.test.ts"], rules: rule([IO]) }] : []),
    ];
  });

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "coverage/", "operator/src/dashboard/web/dist/", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": "off",
    },
  },
  // Imports point one way (see docs/development.md, "Layout"): each folder of operator/src names the folders
  // and top-level modules it must not import. Tests beside the code are held to the same direction.
  ...layers({
    errors: { forbid: ALL },
    io: { forbid: ALL },
    api: { forbid: without("api") },
    graph: { forbid: without("api", "graph") },
    render: { forbid: without("api", "graph", "render") },
    kube: { forbid: without("kube") },
    config: { forbid: without("config", "errors", "history") },
    log: { forbid: without("log") },
    metrics: { forbid: without("metrics") },
    history: { forbid: without("history", "errors") },
    controller: { forbid: ["local", "plan", "dashboard", "server", "cli"] },
    local: { forbid: ["kube", "controller", "plan", "dashboard", "server", "cli"] },
    plan: { forbid: ["dashboard", "server", "cli"] },
    dashboard: { forbid: ["controller", "server", "cli"] },
    server: { forbid: ["api", "graph", "render", "kube", "controller", "local", "plan", "dashboard", "cli"] },
  }),
);
