import type { LocalState } from "./state.ts";
import { imagesOf, previousGood, refusal } from "./rollback.ts";

const state = (revision: number, outcomes: [number, string][]): LocalState => ({
  topology: "lab",
  file: "/lab.yaml",
  revision,
  history: outcomes.map(([r, outcome]) => ({
    revision: r,
    hash: `h${r}`,
    outcome: outcome as LocalState["history"][number]["outcome"],
    at: "2030-01-02T03:04:05Z",
  })),
});

describe("previousGood: what `topo rollback FILE` returns to without --to", () => {
  it.each([
    {
      name: "is the newest revision below the current one that ran healthy",
      state: state(3, [
        [1, "Succeeded"],
        [2, "Succeeded"],
        [3, "Succeeded"],
      ]),
      kept: [1, 2, 3],
      to: 2,
    },
    {
      name: "skips a revision that never ran healthy",
      state: state(3, [
        [1, "Succeeded"],
        [2, "RolledBack"],
        [3, "Succeeded"],
      ]),
      kept: [1, 2, 3],
      to: 1,
    },
    {
      name: "skips a revision whose compose file is no longer kept",
      state: state(3, [
        [1, "Succeeded"],
        [2, "Succeeded"],
        [3, "Succeeded"],
      ]),
      kept: [1, 3],
      to: 1,
    },
    {
      name: "walks back again after a rollback by hand, rather than forward",
      state: state(2, [
        [1, "Succeeded"],
        [2, "Succeeded"],
        [3, "Succeeded"],
        [2, "Succeeded"],
      ]),
      kept: [1, 2, 3],
      to: 1,
    },
    {
      name: "is nothing at the oldest revision",
      state: state(1, [
        [1, "Succeeded"],
        [2, "Succeeded"],
      ]),
      kept: [1, 2],
      to: undefined,
    },
  ])("$name", ({ state, kept, to }) => {
    expect(previousGood(state, kept)).toBe(to);
  });
});

describe("refusal", () => {
  it("lets a kept revision that ran healthy through", () => {
    expect(
      refusal(
        state(3, [
          [2, "Succeeded"],
          [3, "Succeeded"],
        ]),
        [2, 3],
        2,
        10,
      ),
    ).toBeUndefined();
  });
});

describe("imagesOf", () => {
  it("reads each service's image from a kept compose file", () => {
    expect(
      imagesOf("services:\n  api: { image: 'api:1' }\n  db: { image: 'db:2', healthcheck: {} }\n"),
    ).toEqual({
      api: "api:1",
      db: "db:2",
    });
  });
});
