import { admit, safeReturnTo } from "./oidc.ts";

describe("the OIDC allow-list", () => {
  const list = { allowedUsers: ["alice@example.com", "bob"], allowedGroups: ["ops"], groupsClaim: "groups" };

  it("admits a person by sub, email or preferred_username, and keeps only the names on the list", () => {
    expect(admit({ sub: "bob" }, list)).toEqual({ users: ["bob"], groups: [] });
    expect(admit({ sub: "u1", email: "alice@example.com", groups: ["dev"] }, list)).toEqual({
      users: ["alice@example.com"],
      groups: [],
    });
    expect(admit({ sub: "u2", preferred_username: "bob", groups: ["ops", "dev"] }, list)).toEqual({
      users: ["bob"],
      groups: ["ops"],
    });
  });

  it("admits by group from the named claim, a dotted path reaching a nested one, or a single string", () => {
    expect(admit({ sub: "u3", groups: ["ops"] }, list)).toEqual({ users: [], groups: ["ops"] });
    expect(admit({ sub: "u3", groups: "ops" }, list)).toEqual({ users: [], groups: ["ops"] });
    expect(
      admit({ sub: "u3", realm_access: { roles: ["ops"] } }, { ...list, groupsClaim: "realm_access.roles" }),
    ).toEqual({ users: [], groups: ["ops"] });
  });

  it("refuses someone on neither list, and an email the provider has not verified", () => {
    expect(admit({ sub: "carol", email: "carol@example.com", groups: ["dev"] }, list)).toBeUndefined();
    expect(admit({ sub: "u4", email: "alice@example.com", email_verified: false }, list)).toBeUndefined();
  });

  it("lets everyone in with *", () => {
    expect(admit({ sub: "anyone" }, { ...list, allowedUsers: ["*"] })).toEqual({ users: ["*"], groups: [] });
  });
});

describe("the return address after sign-in", () => {
  it("stays on this origin", () => {
    expect(safeReturnTo("/#ns/web")).toBe("/#ns/web");
    expect(safeReturnTo("/api/topologies?x=1")).toBe("/api/topologies?x=1");
    for (const away of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example/",
      "evil",
      undefined,
      ["/"],
    ])
      expect(safeReturnTo(away)).toBe("/");
  });
});
