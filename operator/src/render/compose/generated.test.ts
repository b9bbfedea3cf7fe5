import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadExample, ROOT } from "../../../../test/unit/fixtures.ts";
import { COMPOSE_DIR, exampleComposeFiles } from "./generated.ts";

const examples = readdirSync(join(ROOT, "examples"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();

describe("the generated compose files", () => {
  it.each(examples)(
    "compose/%s/ is committed and up to date (run `npm run generate` when this fails)",
    (name) => {
      for (const [path, content] of Object.entries(exampleComposeFiles(name, loadExample(name)))) {
        const file = join(ROOT, path);
        expect({ path, exists: existsSync(file) }).toEqual({ path, exists: true });
        expect({ path, content: readFileSync(file, "utf8") }).toEqual({ path, content });
      }
    },
  );

  it("has a directory for every example and none for examples that are gone", () => {
    const dirs = readdirSync(join(ROOT, COMPOSE_DIR), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual(examples);
  });

  it("writes no secret value into the env file template", () => {
    for (const name of examples) {
      const text = readFileSync(join(ROOT, COMPOSE_DIR, name, ".env.example"), "utf8");
      for (const line of text.split("\n").filter((l) => l && !l.startsWith("#")))
        expect(line).toMatch(/^TOPO_SECRET_[A-Z0-9_]+=$/);
    }
  });
});
