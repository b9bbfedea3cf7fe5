// Two projects: `unit` runs the pure-code tests beside the sources; `e2e` runs against a real API server
// and a real Docker engine, brought up (or found through KUBECONFIG) by its global setup.
import { existsSync } from "node:fs";

const e2eSetup = (name) =>
  existsSync(`test/e2e/support/${name}.ts`)
    ? { [name.replace(/-(\w)/g, (_, c) => c.toUpperCase())]: `<rootDir>/test/e2e/support/${name}.ts` }
    : {};
const transform = {
  "^.+\\.ts$": [
    "ts-jest",
    {
      useESM: true,
      diagnostics: false,
      tsconfig: { rewriteRelativeImportExtensions: false, sourceMap: true },
    },
  ],
};
const common = {
  extensionsToTreatAsEsm: [".ts"],
  transform,
  testEnvironment: "node",
};

export default {
  // Reporters are global in Jest (ignored inside a project); this one acts only on the e2e project's
  // first failure, printing the cluster diagnostics once.
  reporters: ["default", "<rootDir>/test/e2e/support/diagnose-reporter.ts"],
  projects: [
    {
      ...common,
      displayName: "unit",
      roots: ["<rootDir>/operator/src", "<rootDir>/test/unit"],
      testMatch: ["**/*.test.ts"],
    },
    {
      ...common,
      displayName: "e2e",
      roots: ["<rootDir>/test/e2e"],
      testMatch: ["**/*.test.ts"],
      ...e2eSetup("global-setup"),
      ...e2eSetup("global-teardown"),
      setupFilesAfterEnv: ["<rootDir>/test/e2e/support/timeout.ts"],
    },
  ],
};
