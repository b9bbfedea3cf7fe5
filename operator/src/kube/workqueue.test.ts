import { jest } from "@jest/globals";
import { WorkQueue } from "./workqueue.ts";

const tick = () => new Promise((r) => setImmediate(r));

describe("WorkQueue", () => {
  afterEach(() => jest.useRealTimers());

  it("deduplicates a key added several times while it waits", async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ workers: 1, handler: async (k) => void seen.push(k) });
    const block = new WorkQueue({ workers: 1, handler: async () => undefined });
    q.add("a");
    q.add("b");
    q.add("b");
    q.add("b");
    await tick();
    expect(seen).toEqual(["a", "b"]);
    await block.shutdown();
  });

  it("never runs the same key twice at once, and runs it again when it was added in flight", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      workers: 4,
      handler: async () => {
        running++;
        runs++;
        maxRunning = Math.max(maxRunning, running);
        if (runs === 1) await gate;
        running--;
      },
    });
    q.add("k");
    await tick();
    q.add("k");
    q.add("k");
    await tick();
    expect(runs).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it("backs off exponentially per key from about 5 ms, and resets on success", async () => {
    jest.useFakeTimers();
    let calls = 0;
    const delays: (number | undefined)[] = [];
    const q = new WorkQueue({
      workers: 1,
      handler: async () => {
        calls++;
        if (calls <= 3) throw new Error("boom");
      },
      onError: (_k, _e, retry) => delays.push(retry),
    });
    q.add("k");
    for (let i = 0; i < 10; i++) {
      await jest.advanceTimersByTimeAsync(50);
    }
    expect(delays).toEqual([5, 10, 20]);
    expect(calls).toBe(4);
    expect(q.backoffMs("k")).toBe(5);
  });

  it("honours Retry-After and does not retry terminal errors", async () => {
    jest.useFakeTimers();
    const delays: (number | undefined)[] = [];
    let calls = 0;
    const q = new WorkQueue({
      workers: 1,
      handler: async (k) => {
        calls++;
        if (k === "busy" && calls === 1) throw Object.assign(new Error("429"), { retryAfterSeconds: 2 });
        if (k === "bad") throw new Error("terminal");
      },
      isTerminal: (e) => (e as Error).message === "terminal",
      onError: (_k, _e, retry) => delays.push(retry),
    });
    q.add("busy");
    await jest.advanceTimersByTimeAsync(1999);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(2);
    expect(calls).toBe(2);
    q.add("bad");
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
    expect(delays).toEqual([2000, undefined]);
  });

  it("requeues after the delay a handler asks for, keeping the earliest of two delays", async () => {
    jest.useFakeTimers();
    const runs: number[] = [];
    const q = new WorkQueue({ workers: 1, handler: async () => void runs.push(Date.now()) });
    q.addAfter("k", 1000);
    q.addAfter("k", 300);
    await jest.advanceTimersByTimeAsync(299);
    expect(runs).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(2);
    expect(runs).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(runs).toHaveLength(1);
  });

  it("refuses keys beyond its bound", async () => {
    const errors: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      workers: 1,
      maxLength: 2,
      handler: () => gate,
      onError: (k) => errors.push(k),
    });
    for (const k of ["a", "b", "c", "d"]) q.add(k);
    expect(errors).toEqual(["d"]);
    release();
    await q.shutdown();
  });
});
