// A Jest reporter: on the first failing e2e test of a run, prints the cluster diagnostics once, while the
// failure is fresh, so CI output alone explains it. Reporters run in Jest's main process, hence "once".
import type { Reporter, Test, TestCaseResult, TestResult } from "@jest/reporters";
import { collectDiagnostics } from "./diagnostics.ts";

export default class DiagnoseReporter implements Pick<Reporter, "onTestCaseResult" | "onTestResult"> {
  #printed = false;

  onTestCaseResult(test: Test, result: TestCaseResult): void {
    if (result.status === "failed") this.#print(test, result.fullName);
  }

  onTestResult(test: Test, result: TestResult): void {
    // A suite that failed outside any test (an import error, a failing beforeAll with no tests left).
    if (result.testExecError || result.numFailingTests > 0) this.#print(test, result.testExecError?.message);
  }

  #print(test: Test, what?: string): void {
    if (this.#printed || test.context.config.displayName?.name !== "e2e") return;
    this.#printed = true;
    process.stderr.write(
      `\n[e2e diagnostics] first failure: ${test.path}${what ? ` (${what})` : ""}` +
        `${collectDiagnostics()}[e2e diagnostics] end\n\n`,
    );
  }
}
