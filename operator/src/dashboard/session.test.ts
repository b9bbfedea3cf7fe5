import { cookieSigner, readCookies, serializeCookie } from "./session.ts";

describe("signed cookies", () => {
  const signer = cookieSigner("k".repeat(32), "session");

  it("give back what was sealed until it expires", () => {
    const sealed = signer.seal({ sub: "alice", exp: 100 });
    expect(signer.open(sealed, 99)).toEqual({ sub: "alice", exp: 100 });
    expect(signer.open(sealed, 100)).toBeUndefined();
  });

  it("refuse a changed payload, another secret's signature, another purpose's, and text that is not ours", () => {
    const sealed = signer.seal({ sub: "alice", exp: 100 });
    const [, sig] = sealed.split(".");
    const forged = `${Buffer.from(JSON.stringify({ sub: "mallory", exp: 100 })).toString("base64url")}.${sig}`;
    expect(signer.open(forged, 0)).toBeUndefined();
    expect(cookieSigner("j".repeat(32), "session").open(sealed, 0)).toBeUndefined();
    expect(cookieSigner("k".repeat(32), "login").open(sealed, 0)).toBeUndefined();
    for (const junk of [undefined, "", "abc", ".abc", "abc.", `${sealed}x`])
      expect(signer.open(junk, 0)).toBeUndefined();
  });

  it("refuse a signed value without an expiry", () => {
    expect(signer.open(signer.seal({ sub: "x" } as never), 0)).toBeUndefined();
  });

  it("are read from a Cookie header and written HttpOnly, SameSite=Lax, Secure on https", () => {
    expect(readCookies('a=1; b="two"; a=3; c=x%3Dy; junk').get("a")).toBe("1");
    expect(Object.fromEntries(readCookies('a=1; b="two"; c=x%3Dy'))).toEqual({ a: "1", b: "two", c: "x=y" });
    expect(serializeCookie("s", "v", { path: "/", maxAge: 60, secure: true })).toBe(
      "s=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure",
    );
    expect(serializeCookie("s", "", { path: "/cb", maxAge: 0, secure: false })).toBe(
      "s=; Path=/cb; Max-Age=0; HttpOnly; SameSite=Lax",
    );
  });
});
