import { describeContainer, toContainerState, type InspectedContainer } from "./docker.ts";

function inspected(over: Partial<InspectedContainer["State"]> = {}): InspectedContainer {
  return {
    Id: "abc",
    Name: "/shop-api-1",
    RestartCount: 2,
    Created: "2026-01-01T00:00:00Z",
    Config: {
      Image: "api:1",
      Labels: {
        "com.docker.compose.project": "shop",
        "com.docker.compose.service": "api",
        "com.docker.compose.project.config_files":
          "/w/.topo/shop/revisions/3/docker-compose.yml,/w/override.yml",
        "topo.dev/topology": "shop",
        "topo.dev/node": "api",
      },
    },
    State: {
      Status: "running",
      ExitCode: 0,
      StartedAt: "2026-01-01T00:00:01Z",
      Health: { Status: "healthy", Log: [] },
      ...over,
    },
  };
}

describe("toContainerState", () => {
  it("reads Compose's and Topo's labels", () => {
    expect(toContainerState(inspected())).toMatchObject({
      id: "abc",
      name: "shop-api-1",
      project: "shop",
      service: "api",
      topology: "shop",
      node: "api",
      configFiles: ["/w/.topo/shop/revisions/3/docker-compose.yml", "/w/override.yml"],
      image: "api:1",
      status: "running",
      health: "healthy",
      restartCount: 2,
    });
  });

  it.each([
    ["exited", { Status: "exited", ExitCode: 143 }],
    ["dead", { Status: "dead", ExitCode: 137 }],
    ["restarting", { Status: "restarting", ExitCode: 1 }],
  ])("shows a %s container by its state, not by the health status the engine kept", (status, state) => {
    const c = toContainerState(inspected({ ...state, Health: { Status: "healthy" } }));
    expect(c.health).toBe("");
    expect(describeContainer(c)).toBe(status);
  });

  it("keeps the last failed health check's output while the container runs", () => {
    const log = [
      { ExitCode: 1, Output: "connection refused\n" },
      { ExitCode: 0, Output: "ok" },
    ];
    const running = toContainerState(inspected({ Health: { Status: "unhealthy", Log: log } }));
    expect([running.health, running.healthLog, describeContainer(running)]).toEqual([
      "unhealthy",
      "connection refused",
      "unhealthy",
    ]);
    const stopped = toContainerState(
      inspected({ Status: "exited", Health: { Status: "unhealthy", Log: log } }),
    );
    expect([stopped.health, stopped.healthLog]).toEqual(["", ""]);
  });

  it("reads a container Topo did not render, without labels", () => {
    const c = toContainerState({ ...inspected({ Health: undefined }), Config: { Image: "x", Labels: null } });
    expect(c).toMatchObject({ project: "", topology: "", node: "", configFiles: [], health: "" });
    expect(describeContainer(c)).toBe("running");
  });
});
