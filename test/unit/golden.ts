// Golden-file comparison: UPDATE_GOLDEN=1 rewrites the files, otherwise the output must match them.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./fixtures.ts";

export function expectGolden(name: string, actual: string): void {
  const file = join(ROOT, "test", "golden", name);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, "utf8"));
}
