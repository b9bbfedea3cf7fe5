// A keyed work queue like client-go's: dedupe per key, one in flight per key, per-key exponential backoff,
// delayed requeue, Retry-After honoured, bounded. client-node has none, so it is written here.

export interface QueueResult {
  requeueAfterMs?: number;
}

/** An error that says when to try again (a 429 with Retry-After). */
export interface RetryAfter {
  retryAfterSeconds?: number;
}

export interface QueueOptions {
  workers: number;
  handler: (key: string) => Promise<QueueResult | void>;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Keys beyond this many waiting are refused (and reported); keys dedupe, so this bounds memory. */
  maxLength?: number;
  isTerminal?: (err: unknown) => boolean;
  onError?: (key: string, err: unknown, retryInMs: number | undefined) => void;
  onDepth?: (depth: number) => void;
  onLatency?: (seconds: number) => void;
  onRetry?: () => void;
  now?: () => number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private running = true;
  private idle: (() => void)[] = [];
  private readonly o: Required<
    Omit<QueueOptions, "onError" | "onDepth" | "onLatency" | "onRetry" | "isTerminal">
  > &
    QueueOptions;

  constructor(options: QueueOptions) {
    this.o = { baseDelayMs: 5, maxDelayMs: 300_000, maxLength: 100_000, now: Date.now, ...options };
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Queues a key now; a key already waiting is not queued twice; a key in flight runs again after. */
  add(key: string): void {
    if (!this.running) return;
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    if (this.queue.length >= this.o.maxLength) {
      this.o.onError?.(key, new Error(`work queue is full (${this.o.maxLength} keys)`), undefined);
      return;
    }
    this.queued.add(key);
    this.addedAt.set(key, this.o.now());
    this.queue.push(key);
    this.o.onDepth?.(this.queue.length);
    this.pump();
  }

  /** Queues a key after a delay; an earlier pending delay wins. */
  addAfter(key: string, ms: number): void {
    if (!this.running) return;
    if (ms <= 0) return this.add(key);
    const at = this.o.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Resets a key's backoff (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Stops taking work and waits for what is in flight. */
  async shutdown(): Promise<void> {
    this.running = false;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  backoffMs(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** n);
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.o.workers && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.o.onDepth?.(this.queue.length);
      this.o.onLatency?.((this.o.now() - (this.addedAt.get(key) ?? this.o.now())) / 1000);
      this.addedAt.delete(key);
      this.inFlight.add(key);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.o.handler(key);
      this.forget(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (this.o.isTerminal?.(err)) {
        this.forget(key);
        this.o.onError?.(key, err, undefined);
      } else {
        const retryAfter = (err as RetryAfter)?.retryAfterSeconds;
        const delay = retryAfter !== undefined ? retryAfter * 1000 : this.backoffMs(key);
        this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
        this.o.onRetry?.();
        this.o.onError?.(key, err, delay);
        this.addAfter(key, delay);
      }
    } finally {
      this.inFlight.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      if (this.inFlight.size === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.pump();
    }
  }
}
