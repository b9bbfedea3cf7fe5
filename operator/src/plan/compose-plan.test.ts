import { renderCompose } from "../render/compose/index.ts";
import { resolve } from "../../../test/unit/fixtures.ts";
import { mustRecreate, planCompose, type ComposePlanInput, type ProjectContainer } from "./compose-plan.ts";

const spec = (o: { api?: string; replicas?: number; without?: string[] } = {}) => ({
  nodes: [
    { name: "db", image: "pg:16", ports: [{ name: "pg", port: 5432 }] },
    {
      name: "api",
      image: o.api ?? "api:1",
      replicas: o.replicas ?? 1,
      ports: [{ name: "http", port: 80 }],
      dependsOn: ["db"],
    },
    { name: "web", image: "web:1", ports: [{ name: "http", port: 80 }], dependsOn: ["api"] },
  ].filter((n) => !o.without?.includes(n.name)),
});

/** Hashes as Compose would give them: one per service config (here, its JSON). */
const hashes = (doc: ReturnType<typeof renderCompose>) =>
  Object.fromEntries(Object.entries(doc.services).map(([s, c]) => [s, JSON.stringify(c)]));

/** The containers of a project started from `running`, one per replica. */
function containers(running: ReturnType<typeof spec>): ProjectContainer[] {
  const doc = renderCompose(resolve(running, { name: "shop" }));
  const h = hashes(doc);
  return running.nodes.flatMap((n) =>
    Array.from({ length: n.replicas ?? 1 }, (_, i) => ({
      id: `${n.name}-${i}`,
      service: n.name,
      status: "running",
      configHash: h[n.name]!,
      imageId: `sha256:${n.image}`,
    })),
  );
}

function plan(
  running: ReturnType<typeof spec> | undefined,
  next: ReturnType<typeof spec>,
  over: Partial<ComposePlanInput> = {},
) {
  const topology = resolve(next, { name: "shop" });
  const doc = renderCompose(topology);
  return planCompose({
    topology,
    next: doc,
    ...(running ? { previous: renderCompose(resolve(running, { name: "shop" })) } : {}),
    containers: running ? containers(running) : [],
    serviceHashes: hashes(doc),
    imageIds: Object.fromEntries(next.nodes.map((n) => [n.image, `sha256:${n.image}`])),
    revision: running ? { current: 1, next: 1, verb: "checking" } : { next: 1, verb: "starting" },
    ...over,
  });
}
const verdicts = (p: ReturnType<typeof plan>) => Object.fromEntries(p.nodes.map((n) => [n.name, n.verdict]));

describe("planCompose", () => {
  it("plans a project that does not run as all-create, with its networks, in dependency order", () => {
    const p = plan(undefined, spec());
    expect(p.exists).toBe(false);
    expect(verdicts(p)).toEqual({ db: "create", api: "create", web: "create" });
    expect(p.shared.every((o) => o.kind === "network" && o.action === "create")).toBe(true);
    expect(p.startOrder).toEqual([["db"], ["api"], ["web"]]);
    expect(p.revision).toEqual({ next: 1, new: true });
  });

  it("finds nothing to do for the running file", () => {
    const p = plan(spec(), spec());
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "unchanged", web: "unchanged" });
    expect(p.changed).toBe(false);
    expect(p.recreate).toEqual([]);
  });

  it("recreates the service whose image changes, not its dependents, as a new revision", () => {
    const p = plan(spec(), spec({ api: "api:2" }), { revision: { current: 1, next: 2, verb: "starting" } });
    expect(verdicts(p)).toEqual({ db: "unchanged", api: "restart", web: "unchanged" });
    expect(p.recreate).toEqual(["api"]);
    expect(p.nodes[1]!.objects[0]!.changes).toEqual([{ path: "image", from: "api:1", to: "api:2" }]);
    expect(p.revision).toEqual({ current: 1, next: 2, new: true });
  });

  it("scales without recreating: an update that names the counts", () => {
    const next = spec({ replicas: 3 });
    const p = plan(spec(), next, {
      // deploy.replicas is not part of Compose's config hash.
      serviceHashes: hashes(renderCompose(resolve(spec(), { name: "shop" }))),
    });
    expect(verdicts(p).api).toBe("update");
    expect(p.nodes[1]!.objects[0]!.note).toBe("scaled from 1 to 3");
  });

  it("removes an orphan service's containers and its network", () => {
    const p = plan(spec(), spec({ without: ["web"] }));
    const web = p.nodes.find((n) => n.name === "web")!;
    expect(web).toEqual({
      name: "web",
      verdict: "delete",
      objects: [{ kind: "service", name: "web", action: "delete", changes: [], note: "1 container removed" }],
    });
  });

  it("recreates a container whose image tag names another image now", () => {
    const c = { id: "x", service: "api", status: "running", configHash: "h", imageId: "sha256:old" };
    expect(mustRecreate(c, "h", "sha256:new")).toBe(true);
    expect(mustRecreate(c, "h", "sha256:old")).toBe(false);
    expect(mustRecreate({ ...c, imageId: "" }, "h", "sha256:new")).toBe(false);
    expect(mustRecreate(c, "other", "sha256:old")).toBe(true);
  });
});
