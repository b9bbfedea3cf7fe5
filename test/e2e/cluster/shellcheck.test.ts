// Every shell script of the harness passes `shellcheck -x` (Debian's shellcheck: apt-get install shellcheck).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run } from "./helpers.ts";

const scripts = [
  ...["hack", "hack/lib"].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith(".sh"))
      .map((f) => `${dir}/${f}`),
  ),
  ".ci/run",
];

async function shellcheck(args: string[]) {
  try {
    return await run("shellcheck", args);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error(
        "shellcheck is not installed: run `apt-get install -y shellcheck` (and add it to .ci/run)",
      );
    throw err;
  }
}

describe("shellcheck", () => {
  it("is installed", async () => {
    expect((await shellcheck(["--version"])).stdout).toMatch(/version: \d+\.\d+/);
  });

  it.each(scripts)("finds nothing in %s", async (script) => {
    // One finding per line, FILE:LINE:COL: severity: message [SCxxxx], so the failure reads on its own.
    const out = await shellcheck(["-x", "-f", "gcc", script]);
    expect(out.stdout + out.stderr).toBe("");
    expect(out.code).toBe(0);
  });
});
