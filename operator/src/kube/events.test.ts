import { EventRecorder } from "./events.ts";

/** A sender whose calls stay pending until released, to observe what record() waits for. */
function gatedSender() {
  const sent: string[] = [];
  const gates: (() => void)[] = [];
  return {
    sent,
    send: (e: string) =>
      new Promise<void>((resolve) => {
        gates.push(() => {
          sent.push(e);
          resolve();
        });
      }),
    releaseAll: async () => {
      while (gates.length) {
        gates.shift()!();
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

describe("EventRecorder", () => {
  it("returns before the event is sent, then sends every event in order, one at a time", async () => {
    const s = gatedSender();
    const r = new EventRecorder<string>({ send: s.send });
    r.record("a");
    r.record("b");
    r.record("c");
    expect(s.sent).toEqual([]);
    await s.releaseAll();
    await r.flush();
    expect(s.sent).toEqual(["a", "b", "c"]);
  });

  it("goes on after a failed send and reports it", async () => {
    const failed: string[] = [];
    const sent: string[] = [];
    const r = new EventRecorder<string>({
      send: async (e) => {
        if (e === "bad") throw new Error("429");
        sent.push(e);
      },
      onError: (_err, e) => failed.push(e),
    });
    r.record("bad");
    r.record("good");
    await r.flush();
    expect(failed).toEqual(["bad"]);
    expect(sent).toEqual(["good"]);
  });

  it("drops new events beyond its limit rather than grow without bound", async () => {
    const s = gatedSender();
    const dropped: string[] = [];
    const r = new EventRecorder<string>({ send: s.send, limit: 2, onDrop: (e) => dropped.push(e) });
    for (const e of ["1", "2", "3", "4"]) r.record(e);
    // "1" is being sent, "2" and "3" wait, "4" finds the buffer full.
    expect(dropped).toEqual(["4"]);
    await s.releaseAll();
    await r.flush();
    expect(s.sent).toEqual(["1", "2", "3"]);
  });

  it("starts sending again when events arrive after it went idle", async () => {
    const sent: string[] = [];
    const r = new EventRecorder<string>({ send: async (e) => void sent.push(e) });
    r.record("x");
    await r.flush();
    r.record("y");
    await r.flush();
    expect(sent).toEqual(["x", "y"]);
  });
});
