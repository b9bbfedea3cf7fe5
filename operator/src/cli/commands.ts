// The registry of `topo` subcommands, in the order `topo --help` lists them.
import type { Command } from "./command.ts";
import { composeCommand } from "./compose.ts";
import { dashboardCommand } from "./dashboard.ts";
import { graphCommand } from "./graph.ts";
import { historyCommand } from "./history.ts";
import { downCommand, logsCommand, statusCommand, upCommand } from "./local.ts";
import { operatorCommand } from "./operator.ts";
import { planCommand } from "./plan.ts";
import { renderCommand } from "./render.ts";
import { rollbackCommand } from "./rollback.ts";
import { validateCommand } from "./validate.ts";

export const commands: Command[] = [
  validateCommand,
  renderCommand,
  composeCommand,
  graphCommand,
  planCommand,
  upCommand,
  downCommand,
  statusCommand,
  logsCommand,
  historyCommand,
  rollbackCommand,
  operatorCommand,
  dashboardCommand,
];
