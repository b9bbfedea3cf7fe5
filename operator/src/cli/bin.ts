#!/usr/bin/env node
// The `topo` executable.
import { main, processContext } from "./main.ts";

process.exitCode = await main(process.argv.slice(2), processContext());
