// ESLint flat config: typescript-eslint's recommended rules, Prettier owns formatting.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

/** Folders and top-level modules of operator/src, from the bottom of the house up. */
const ALL = ["errors", "io", "api", "graph", "render", "kube", "config", "log", "metrics"].concat([
  "controller",
  "local",
  "dashboard",
  "server",
  "cli",
]);
const without = (...allowed) => ALL.filter((l) => !allowed.includes(l));
const forbidden = (names) =>
  names.map((name) => ({
    regex: `^(\\.\\./)+${name}(/|\\.ts$)`,
    message: `imports point one way: this folder does not import ${name}.`,
  }));
/** One no-restricted-imports block per folder (or top-level module) of operator/src. */
const layers = (table) =>
  Object.entries(table).map(([layer, { forbid }]) => ({
    files: [`operator/src/${layer}/**/*.ts`, `operator/src/${layer}.ts`],
    rules: { "no-restricted-imports": ["error", { patterns: forbidden(forbid.filter((f) => f !== layer)) }] },
  }));

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
    config: { forbid: without("config", "errors") },
    log: { forbid: without("log") },
    metrics: { forbid: without("metrics") },
    controller: { forbid: ["local", "dashboard", "server", "cli"] },
    local: { forbid: ["kube", "controller", "dashboard", "server", "cli"] },
    dashboard: { forbid: ["controller", "server", "cli"] },
    server: { forbid: ["api", "graph", "render", "kube", "controller", "local", "dashboard", "cli"] },
  }),
  {
    // The pure core never touches the network, the clock or the environment.
    files: ["operator/src/api/**/*.ts", "operator/src/graph/**/*.ts", "operator/src/render/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...forbidden(without("api", "graph", "render")),
            {
              group: ["node:fs", "node:net", "node:http", "node:child_process", "@kubernetes/*"],
              message: "the pure core does no I/O.",
            },
          ],
        },
      ],
    },
  },
);
