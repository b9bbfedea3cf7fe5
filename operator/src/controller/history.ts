// The operator's history recorder: what each status write and each Kubernetes Event means as records of
// the history store (revisions, outcomes, node phase changes, rollbacks with their recovery time), written
// in the background like the Event recorder (kube/events.ts): a reconcile hands over a status it has
// written and returns; the store being slow or down never holds it up or fails it. Observations wait in
// memory up to a bound (the oldest dropped beyond it, counted), and a failed batch is retried with
// backoff until it is written. Keys make every write idempotent, so the full status that a replica
// replays on taking the lease (sync) adds nothing that is there already.
import { attemptRecords, type HistoryRecord } from "../history/record.ts";
import type { HistoryStore } from "../history/store.ts";
import type { TopologyStatus } from "../api/schema.ts";

export interface TopologyRef {
  namespace: string;
  name: string;
  uid: string;
}

/** What the recorder has written of one topology: its nodes' last phases, and every record's data. */
interface Known {
  phases: Map<string, { phase: string; seq: number }>;
  written: Map<string, string>;
}

/**
 * The records a status means, beside what is known of the topology already (updated in place): every
 * history entry as a revision, its outcome and its rollback, and each node whose phase differs from the
 * last one recorded as a transition at `at`.
 */
export function statusRecords(
  t: TopologyRef,
  status: TopologyStatus,
  known: Known,
  at: Date,
): HistoryRecord[] {
  const base = { target: "kubernetes", namespace: t.namespace, topology: t.name, uid: t.uid } as const;
  const out: HistoryRecord[] = [];
  const add = (r: HistoryRecord) => {
    const id = `${r.kind}/${r.key}`;
    const data = JSON.stringify(r.data);
    if (known.written.get(id) === data) return;
    known.written.set(id, data);
    out.push(r);
  };
  for (const h of status.history ?? [])
    for (const r of attemptRecords(base, h, {
      release: "spec",
      revision: {
        images: h.images,
        ...(h.generation !== undefined ? { generation: h.generation } : {}),
        ...(h.hash ? { hash: h.hash } : {}),
      },
      outcomeAt: at.toISOString(),
      ...(status.lastGoodRevision !== undefined ? { lastGoodRevision: status.lastGoodRevision } : {}),
    }))
      add(r);
  for (const n of status.nodes ?? []) {
    const last = known.phases.get(n.name);
    if (last?.phase === n.phase) continue;
    const seq = (last?.seq ?? 0) + 1;
    known.phases.set(n.name, { phase: n.phase, seq });
    out.push({
      ...base,
      kind: "phase",
      key: `${n.name}#${seq}`,
      at: at.toISOString(),
      node: n.name,
      ...(status.revision ? { revision: status.revision } : {}),
      data: {
        phase: n.phase,
        seq,
        ...(last ? { from: last.phase } : {}),
        ...(n.message ? { message: n.message } : {}),
      },
    });
  }
  return out;
}

type Item =
  | { kind: "status"; topology: TopologyRef; status: TopologyStatus; at: Date }
  | { kind: "records"; uid: string; records: HistoryRecord[] };

export interface HistoryRecorderOptions {
  store: HistoryStore;
  /** Observations waiting at most; beyond it the oldest are dropped. */
  limit: number;
  /** Observations written per transaction at most. */
  batch?: number;
  onWritten?(records: number, seconds: number): void;
  onError?(err: unknown): void;
  onDrop?(items: number): void;
  onDepth?(items: number): void;
  /** The first retry's delay, doubled per failure up to 30 s (default 250 ms). */
  backoffMs?: number;
}

export class HistoryRecorder {
  private readonly queue: Item[] = [];
  private readonly known = new Map<string, Known>();
  private pumping?: Promise<void>;
  private closed = false;
  private readonly o: HistoryRecorderOptions;

  constructor(options: HistoryRecorderOptions) {
    this.o = options;
  }

  /** A status that was written (or, on taking the lease, the status as it is): returns at once. */
  observe(topology: TopologyRef, status: TopologyStatus, at = new Date()): void {
    this.push({ kind: "status", topology, status: structuredClone(status), at });
  }

  /** Records made elsewhere (Kubernetes Events): returns at once. */
  record(uid: string, records: HistoryRecord[]): void {
    if (records.length) this.push({ kind: "records", uid, records });
  }

  get depth(): number {
    return this.queue.length;
  }

  private push(item: Item): void {
    if (this.closed) return;
    this.queue.push(item);
    if (this.queue.length > this.o.limit)
      this.o.onDrop?.(this.queue.splice(0, this.queue.length - this.o.limit).length);
    this.o.onDepth?.(this.queue.length);
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  /** A topology's known state: loaded from the store the first time, so numbering continues where it stopped. */
  private async knownOf(uid: string): Promise<Known> {
    let k = this.known.get(uid);
    if (!k) {
      k = { phases: await this.o.store.lastPhases(uid), written: new Map() };
      this.known.set(uid, k);
    }
    return k;
  }

  private async pump(): Promise<void> {
    let failures = 0;
    while (this.queue.length) {
      const items = this.queue.slice(0, this.o.batch ?? 200);
      const started = process.hrtime.bigint();
      // Diffed against copies, kept only once the batch is written: a failed batch is diffed again.
      const copies = new Map<string, Known>();
      try {
        const records: HistoryRecord[] = [];
        for (const item of items) {
          const uid = item.kind === "status" ? item.topology.uid : item.uid;
          let k = copies.get(uid);
          if (!k) {
            const known = await this.knownOf(uid);
            k = { phases: new Map(known.phases), written: new Map(known.written) };
            copies.set(uid, k);
          }
          records.push(
            ...(item.kind === "status"
              ? statusRecords(item.topology, item.status, k, item.at)
              : item.records),
          );
        }
        await this.o.store.write(records);
        for (const [uid, k] of copies) this.known.set(uid, k);
        // Items dropped meanwhile were the oldest: those written are the first still queued.
        const done = this.queue.indexOf(items.at(-1)!);
        this.queue.splice(0, done + 1);
        this.o.onDepth?.(this.queue.length);
        this.o.onWritten?.(records.length, Number(process.hrtime.bigint() - started) / 1e9);
        failures = 0;
      } catch (err) {
        this.o.onError?.(err);
        if (this.closed) return;
        const delay = Math.min(30_000, (this.o.backoffMs ?? 250) * 2 ** failures++);
        await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  /** Resolves once every queued observation is written, or after `timeoutMs` (shutdown, tests). */
  async flush(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pumping && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.queue.length === 0;
  }

  /** Flushes what it can within `timeoutMs`, then stops writing and closes the store. */
  async close(timeoutMs = 3_000): Promise<void> {
    await this.flush(timeoutMs);
    this.closed = true;
    await this.o.store.close();
  }
}
