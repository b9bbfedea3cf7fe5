// Two projects: `unit` runs the pure-code tests beside the sources; `e2e` runs against a real API server
// and a real Docker engine, brought up (or found through KUBECONFIG) by its global setup.
const transform = {
  "^.+\\.ts$": ["ts-jest", { useESM: true, isolatedModules: true, diagnostics: false }],
};
const common = {
  extensionsToTreatAsEsm: [".ts"],
  transform,
  testEnvironment: "node",
};

export default {
  projects: [
    { ...common, displayName: "unit", roots: ["<rootDir>/operator/src", "<rootDir>/test/unit"], testMatch: ["**/*.test.ts"] },
    {
      ...common,
      displayName: "e2e",
      roots: ["<rootDir>/test/e2e"],
      testMatch: ["**/*.test.ts"],
      globalSetup: "<rootDir>/test/e2e/support/global-setup.ts",
      globalTeardown: "<rootDir>/test/e2e/support/global-teardown.ts",
      testTimeout: 240000,
    },
  ],
};
