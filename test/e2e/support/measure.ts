// Figures an e2e test measured (a fault's time to converge, restarts counted), appended as JSON lines to
// test/e2e/artifacts/measurements.jsonl so a run's closing figures can be read back; never asserted on.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const DIR = join(import.meta.dirname, "..", "artifacts");

export function record(name: string, figures: Record<string, number | string>): void {
  mkdirSync(DIR, { recursive: true });
  appendFileSync(
    join(DIR, "measurements.jsonl"),
    `${JSON.stringify({ at: new Date().toISOString(), name, ...figures })}\n`,
  );
}
