#!/usr/bin/env node
// The `topo` executable. The lean loader must be registered before the rest of the program is even
// resolved, hence the dynamic import.
import { registerLeanLoader } from "../kube/lean-loader.ts";

registerLeanLoader();
const { main, processContext } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2), processContext());
