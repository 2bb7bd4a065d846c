import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { findActiveKey, type Role } from "../auth/keys.js";
import type { OpenModeGate } from "../auth/open-mode.js";
import {
  confinement,
  hasRole,
  isLoopbackHost,
  OPEN_MODE_PRINCIPAL,
  withinConfinement,
  type Principal,
} from "../auth/principal.js";
import type { ApiEnv } from "./app.js";
import { ApiError } from "./errors.js";

export const KEY_COOKIE = "signoff_key";

function presentedKey(c: Context): { key: string; fromCookie: boolean } | undefined {
  const header = c.req.header("authorization");
  const sent = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? c.req.header("x-api-key");
  if (sent) return { key: sent, fromCookie: false };
  const cookie = getCookie(c, KEY_COOKIE);
  return cookie ? { key: cookie, fromCookie: true } : undefined;
}

/**
 * Open mode answers only requests addressed to a loopback name, so a web page that rebinds its
 * own domain to 127.0.0.1 (DNS rebinding) cannot use a developer's open server.
 */
export function loopbackRequest(c: Context): boolean {
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return isLoopbackHost(name === "[::1]" ? "::1" : name);
}

/**
 * The browser sends the cookie with requests from other origins of the same site too, so a
 * state-changing request authenticated by the cookie must come from this origin.
 */
function sameOriginRequest(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  if (!origin || origin === "null") return false;
  try {
    return new URL(origin).host === (c.req.header("host") ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

/**
 * A request a browser says came from another site or origin (Sec-Fetch-Site, else Origin). A
 * client that is not a browser sends neither and is not refused by this (curl in open mode).
 */
export function crossSiteBrowserRequest(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site !== "same-origin" && site !== "none";
  const origin = c.req.header("origin");
  if (origin === undefined) return false;
  if (origin === "null") return true;
  try {
    return new URL(origin).host !== (c.req.header("host") ?? new URL(c.req.url).host);
  } catch {
    return true;
  }
}

export const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Resolves the caller from their API key. Open development mode (no key needed, everyone is the
 * same all-roles user) applies only while the gate says so (bound to loopback and no key since
 * start) and for requests addressed to a loopback name. In open mode a browser's cross-site
 * state-changing request (another site's form posting here) is refused, as with the cookie.
 */
export function authenticate(openMode: OpenModeGate): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const pool = c.var.db;
    const presented = presentedKey(c);
    let principal: Principal | undefined;
    if (presented) {
      const row = await findActiveKey(pool, presented.key);
      if (!row) throw new ApiError(401, "invalid_key", "the API key is unknown or revoked");
      if (presented.fromCookie && !SAFE_METHODS.has(c.req.method) && !sameOriginRequest(c)) {
        throw new ApiError(
          403,
          "cross_origin",
          "a request signed in by cookie must come from this site's own pages",
        );
      }
      principal = { id: row.key_id, name: row.name, role: row.role, open: false };
      if (!withinConfinement(principal, c.req.method, c.req.path)) {
        throw new ApiError(
          403,
          "forbidden",
          `a ${principal.role} key may only call ${confinement(principal)!.join(" or ")}`,
        );
      }
    } else if (loopbackRequest(c) && (await openMode.isOpen(pool))) {
      if (!SAFE_METHODS.has(c.req.method) && crossSiteBrowserRequest(c)) {
        throw new ApiError(
          403,
          "cross_origin",
          "open mode accepts changes only from this server's own pages or from non-browser clients",
        );
      }
      principal = OPEN_MODE_PRINCIPAL;
    } else {
      throw new ApiError(401, "unauthenticated", "send an API key: Authorization: Bearer <key>");
    }
    c.set("principal", principal);
    c.set("actor", principal.name);
    await next();
  };
}

/** Refuses (403) callers whose role is not in `allowed`. */
export function requireRole(...allowed: Role[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = c.var.principal;
    if (!hasRole(principal, allowed)) {
      throw new ApiError(
        403,
        "forbidden",
        `this needs the ${allowed.join(" or ")} role; your key is ${principal.role}`,
      );
    }
    await next();
  };
}
