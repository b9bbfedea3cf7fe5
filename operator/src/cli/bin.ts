#!/usr/bin/env node
// The `topo` executable. Only node-version.ts (which imports nothing) and node:module's default export (so
// Node 20 links it too) are imported statically: the Node.js
// version is checked before any module that needs Node 24 is even linked, and the lean loader is
// registered (for the commands that use the Kubernetes client) before the command's module is resolved.
import nodeModule from "node:module";
import { MIN_NODE_MAJOR, nodeTooOld } from "./node-version.ts";

const running = process.versions.node;
if (nodeTooOld(running)) {
  process.stderr.write(`topo needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${running}\n`);
  process.exit(1);
}
// V8's code cache for every module after the first run (in NODE_COMPILE_CACHE, else the temporary
// directory): start-up then skips compiling, a third of an offline command's time. Where the directory
// cannot be written, Node carries on without it.
nodeModule.enableCompileCache?.();
const argv = process.argv.slice(2);
const { commandOf, main, processContext } = await import("./main.ts");
const command = commandOf(argv);
// Only a command that uses the Kubernetes client pays for the resolve hook, which every later import
// would go through.
if (command?.kube) (await import("../kube/lean-loader.ts")).registerLeanLoader();
if (command && !command.serves) (await import("../api/parse.ts")).parseWithoutJit();
process.exitCode = await main(argv, processContext());
