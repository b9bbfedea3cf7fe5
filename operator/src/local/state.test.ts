import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  readState,
  recordAttempt,
  StateFileError,
  stateDirOfComposeFile,
  statePaths,
  StateStore,
  trimHistory,
  type HistoryEntry,
  type LocalState,
} from "./state.ts";

const entry = (revision: number, outcome: HistoryEntry["outcome"] = "Succeeded"): HistoryEntry => ({
  revision,
  hash: `h${revision}`,
  outcome,
  at: "2026-01-01T00:00:00Z",
});
const state = (history: HistoryEntry[]): LocalState => ({
  topology: "shop",
  file: "/w/shop.yaml",
  revision: history.at(-1)?.revision ?? 0,
  history,
});

describe("stateDirOfComposeFile", () => {
  it.each([
    [
      "finds topo up's state directory above revisions/<n>/",
      "/w/.topo/shop/revisions/3/docker-compose.yml",
      "/w/.topo/shop",
    ],
    ["has none for a project started by hand", "/w/shop/docker-compose.yml", undefined],
    ["has none for a file that only looks like a revision", "/w/revisions/x/docker-compose.yml", undefined],
  ])("%s", (_case, file, dir) => expect(stateDirOfComposeFile(file)).toBe(dir));

  it("inverts statePaths.composeFile", () =>
    expect(stateDirOfComposeFile(statePaths.composeFile("/s/shop", 12))).toBe("/s/shop"));
});

describe("readState", () => {
  const dir = mkdtempSync(join(tmpdir(), "topo-state-"));

  it("is undefined where topo up never ran", () => expect(readState(join(dir, "none"))).toBeUndefined());

  it("refuses a state.json that is not what topo up writes, naming the file and the field", () => {
    mkdirSync(join(dir, "bad"));
    writeFileSync(
      statePaths.state(join(dir, "bad")),
      JSON.stringify({ ...state([entry(1)]), revision: "one" }),
    );
    expect(() => readState(join(dir, "bad"))).toThrow(StateFileError);
    expect(() => readState(join(dir, "bad"))).toThrow(/bad\/state\.json: revision: /);
    writeFileSync(statePaths.state(join(dir, "bad")), "{");
    expect(() => readState(join(dir, "bad"))).toThrow(/state\.json is not JSON/);
  });

  it("reads back what the store wrote, and the store leaves no temporary file", () => {
    const store = new StateStore(join(dir, "good"));
    const s = state([entry(1), entry(2, "Failed")]);
    store.write(s, 10);
    expect(readState(store.dir)).toEqual(s);
    expect(readdirSync(store.dir)).toEqual(["state.json"]);
  });
});

describe("history", () => {
  it("records every attempt of a revision, a failed retry of an unchanged one too", () => {
    const s = state([entry(1)]);
    recordAttempt(s, entry(1, "Failed"));
    recordAttempt(s, entry(1, "Failed"));
    recordAttempt(s, entry(1));
    expect(s.history.map((h) => h.outcome)).toEqual(["Succeeded", "Failed", "Failed", "Succeeded"]);
  });

  it("adds nothing for a check that finds a healthy revision healthy again", () => {
    const s = state([entry(1)]);
    recordAttempt(s, entry(1));
    expect(s.history).toHaveLength(1);
  });

  it("counts historyLimit in revisions, not attempts", () => {
    const h = [entry(1), entry(2, "RolledBack"), entry(1, "Failed"), entry(1), entry(3)];
    expect(trimHistory(h, 2).map((e) => [e.revision, e.outcome])).toEqual([
      [1, "Succeeded"],
      [1, "Failed"],
      [1, "Succeeded"],
      [3, "Succeeded"],
    ]);
    expect(trimHistory(h, 1)).toEqual([entry(3)]);
  });

  it("keeps the latest ten attempts of a revision tried again and again", () => {
    const h = [
      entry(1),
      ...Array.from({ length: 15 }, (_, i) => ({ ...entry(2, "Failed"), reason: `try ${i}` })),
    ];
    const kept = trimHistory(h, 10);
    expect(kept[0]).toEqual(entry(1));
    expect(kept.slice(1).map((e) => e.reason)).toEqual(Array.from({ length: 10 }, (_, i) => `try ${i + 5}`));
  });

  it("prunes the compose files of revisions that fell out of the history, but not the last good one", () => {
    const store = new StateStore(mkdtempSync(join(tmpdir(), "topo-prune-")));
    for (const r of [1, 2, 3]) store.writeRevision(r, `r${r}`);
    store.write({ ...state([entry(1), entry(2, "RolledBack"), entry(3)]), lastGoodRevision: 1 }, 1);
    expect(store.revisions()).toEqual([1, 3]);
    expect(existsSync(store.composeFile(2))).toBe(false);
  });
});
