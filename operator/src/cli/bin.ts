#!/usr/bin/env node
// The `topo` executable. Only node-version.ts (which imports nothing) is imported statically: the Node.js
// version is checked before any module that needs Node 24 is even linked, and the lean loader is
// registered before the rest of the program is resolved.
import { MIN_NODE_MAJOR, nodeTooOld } from "./node-version.ts";

const running = process.versions.node;
if (nodeTooOld(running)) {
  process.stderr.write(`topo needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${running}\n`);
  process.exit(1);
}
const { registerLeanLoader } = await import("../kube/lean-loader.ts");
registerLeanLoader();
const { main, processContext } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2), processContext());
