// The one interface both data sources (Kubernetes, local Compose) implement, and the debounce that turns
// their bursts of change notifications into at most one push per window.
import type { DashboardEvent, TopologyDetail, TopologySummary } from "./types.ts";

export interface DashboardSource {
  list(): Promise<TopologySummary[]>;
  get(namespace: string, name: string): Promise<TopologyDetail | undefined>;
  events(namespace: string, name: string): Promise<DashboardEvent[]>;
  /** Calls back with the "namespace/name" key of what changed; returns the unsubscribe function. */
  subscribe(onChange: (key: string) => void): () => void;
  close?(): Promise<void>;
}

/**
 * Collects keys and flushes them once, `windowMs` after the first one of a burst: a push is never later
 * than the window, and a rollout that touches 250 nodes costs one push, not 250.
 */
export function debounceKeys(
  flush: (keys: string[]) => void,
  windowMs = 200,
): { add(key: string): void; cancel(): void } {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  return {
    add(key) {
      pending.add(key);
      timer ??= setTimeout(() => {
        const keys = [...pending];
        pending = new Set();
        timer = undefined;
        flush(keys);
      }, windowMs);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
