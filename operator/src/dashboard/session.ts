// Signed cookies for the dashboard's login: a small JSON payload with an expiry, signed with HMAC-SHA-256
// (node:crypto) and checked in constant time, so no session store is needed and any replica can check one.
import { createHmac, timingSafeEqual } from "node:crypto";

/** What a signed value carries: anything JSON, and the second (Unix time) it stops being accepted. */
export interface Signed {
  exp: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export interface CookieSigner {
  /** `payload.signature`, both base64url; the payload's `exp` is checked by open(). */
  seal<T extends Signed>(value: T): string;
  /** The value, or undefined when the signature is wrong, the text is not ours, or it has expired. */
  open<T extends Signed>(sealed: string | undefined, nowSeconds: number): T | undefined;
}

/**
 * A signer for one purpose: the purpose is part of what is signed, so a login-transaction cookie can never
 * be replayed as a session cookie even though both use the same secret.
 */
export function cookieSigner(secret: string, purpose: string): CookieSigner {
  const mac = (payload: string) => createHmac("sha256", secret).update(`${purpose}.${payload}`).digest();
  return {
    seal(value) {
      const payload = b64(JSON.stringify(value));
      return `${payload}.${b64(mac(payload))}`;
    },
    open<T extends Signed>(sealed: string | undefined, nowSeconds: number) {
      if (!sealed) return undefined;
      const dot = sealed.indexOf(".");
      if (dot < 1) return undefined;
      const payload = sealed.slice(0, dot);
      const given = Buffer.from(sealed.slice(dot + 1), "base64url");
      const want = mac(payload);
      if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        return undefined;
      }
      const exp = (value as Partial<Signed> | null)?.exp;
      if (typeof exp !== "number" || exp <= nowSeconds) return undefined;
      return value as T;
    },
  };
}

/** The cookies of a request's Cookie header, by name (the first of a repeated name wins). */
export function readCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      out.set(name, value);
    }
  }
  return out;
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 removes the cookie. */
  maxAge: number;
  secure: boolean;
}

/** A Set-Cookie value: always HttpOnly and SameSite=Lax (see docs/dashboard.md, Logging in). */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${o.path}`,
    `Max-Age=${o.maxAge}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(o.secure ? ["Secure"] : []),
  ].join("; ");
}
