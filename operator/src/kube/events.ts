// EventRecorder: Events are sent in the background, in order, like client-go's event broadcaster, so a
// reconcile never waits on one: an Event is for people reading `kubectl describe`, and losing one must
// not hold up, or fail, the rollout it reports. A full buffer drops the newest (client-go keeps 1000).

export interface EventRecorderOptions<T> {
  send(event: T): Promise<void>;
  onError?(err: unknown, event: T): void;
  onDrop?(event: T): void;
  /** Events waiting to be sent at most; beyond it new ones are dropped. */
  limit?: number;
}

export class EventRecorder<T> {
  private readonly pending: T[] = [];
  private sending?: Promise<void>;
  private readonly o: EventRecorderOptions<T>;

  constructor(options: EventRecorderOptions<T>) {
    this.o = options;
  }

  /** Queues an event and returns at once. */
  record(event: T): void {
    if (this.pending.length >= (this.o.limit ?? 1000)) {
      this.o.onDrop?.(event);
      return;
    }
    this.pending.push(event);
    this.sending ??= this.pump().finally(() => (this.sending = undefined));
  }

  private async pump(): Promise<void> {
    for (let event = this.pending.shift(); event !== undefined; event = this.pending.shift()) {
      try {
        await this.o.send(event);
      } catch (err) {
        this.o.onError?.(err, event);
      }
    }
  }

  /** Resolves once every queued event has been sent or has failed (for shutdown and tests). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }
}
