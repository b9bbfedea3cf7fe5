// One pino root logger: JSON lines on stdout; each reconcile logs through a child carrying the topology.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level = "info"): Logger {
  return pino({ level, base: { component: "topo-operator" }, timestamp: pino.stdTimeFunctions.isoTime });
}

export function reconcileLogger(log: Logger, topology: string, generation?: number): Logger {
  return log.child({ topology, ...(generation !== undefined ? { generation } : {}) });
}
