// ESLint flat config: typescript-eslint's recommended rules, Prettier owns formatting.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

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
  {
    // The pure core never touches the network, the clock or the environment.
    files: ["operator/src/api/**/*.ts", "operator/src/graph/**/*.ts", "operator/src/render/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/controller/**", "**/cli/**", "**/server/**", "**/kube/**"],
              message: "api/graph/render are pure: imports point one way.",
            },
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
