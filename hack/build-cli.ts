// Bundles the `topo` executable into dist/cli/ (or the directory given): operator/src/cli/bin.ts and what it
// imports, with zod, yaml and fastest-levenshtein inlined, one chunk per lazily loaded command. Node then
// links a handful of files instead of ~200 (zod alone is 95 modules, yaml 72), the bulk of an offline
// command's start-up. Every other package stays an import of node_modules: the Kubernetes client must, for
// the lean loader (kube/lean-loader.ts) to find it by its path, and express, pino and the rest load only for
// the commands that use them.
// Rolldown is Vite's bundler (already in the tree through Vite): it reads the TypeScript as Node does.
// Run: hack/node.sh node hack/build-cli.ts [OUTDIR]
import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "rolldown";

const ROOT = join(import.meta.dirname, "..");
/** The packages bundled: pure JavaScript, no files of their own read at run time, no native parts. */
const INLINED = new Set(["zod", "yaml", "fastest-levenshtein"]);

const packageOf = (id: string) =>
  (id.startsWith("@") ? id.split("/").slice(0, 2) : id.split("/", 1)).join("/");

export async function buildCli(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    input: { topo: join(ROOT, "operator/src/cli/bin.ts") },
    platform: "node",
    logLevel: "warn",
    external: (id) => {
      if (id.startsWith("node:")) return true;
      if (id.startsWith(".") || id.startsWith("/") || id.startsWith("\0")) return false;
      return !INLINED.has(packageOf(id));
    },
    output: {
      dir: outDir,
      format: "esm",
      entryFileNames: "[name].js",
      chunkFileNames: "[name]-[hash].js",
      // Readable stack traces under --debug, and nothing for a reader of the package to decode.
      minify: false,
    },
  });
}

if (import.meta.main) await buildCli(process.argv[2] ?? join(ROOT, "dist", "cli"));
