import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type pg from "pg";
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

/**
 * Who is calling, decided once for every private route of the app (the JSON API and the
 * reviewer page alike): `authenticate` is mounted once in app.ts, after the public routes.
 */

export const KEY_COOKIE = "signoff_key";

export interface PresentedKey {
  key: string;
  /** Sent by the browser as the page's sign-in cookie rather than by a client. */
  fromCookie: boolean;
}

export function presentedKey(c: Context): PresentedKey | undefined {
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

/** Whether this request gets open mode's all-roles user when it brings no key. */
export async function openModeApplies(c: Context, openMode: OpenModeGate, db: pg.Pool) {
  return loopbackRequest(c) && (await openMode.isOpen(db));
}

/**
 * Whether a browser says the request came from this origin (Sec-Fetch-Site, else Origin). A
 * request with neither is not known to, so it is not: a change signed in by cookie, or a sign-in
 * form, needs one of them (every browser that sends cookies sends them on a POST).
 */
export function sameOriginRequest(c: Context): boolean {
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

/** The principal an API key stands for, if it is a live key. */
export async function principalForKey(db: pg.Pool, key: string): Promise<Principal | undefined> {
  const row = key.length <= 500 ? await findActiveKey(db, key) : undefined;
  return (
    row && { id: row.key_id, name: row.name, role: row.role, domains: row.domains, open: false }
  );
}

/**
 * The caller of this request, or a refusal (ApiError 401/403). Open development mode (no key
 * needed, everyone is the same all-roles user) applies only while the gate says so (bound to
 * loopback and no key since start) and for requests addressed to a loopback name. A browser's
 * state-changing request is refused when it comes from another origin: by cookie always, and in
 * open mode whenever the browser says so (another site's form posting here).
 */
export async function resolvePrincipal(
  c: Context,
  openMode: OpenModeGate,
  db: pg.Pool,
  trustedOrigins: readonly string[] = [],
): Promise<Principal> {
  const presented = presentedKey(c);
  const changes = !SAFE_METHODS.has(c.req.method);
  if (presented) {
    const principal = await principalForKey(db, presented.key);
    if (!principal) throw new ApiError(401, "invalid_key", "the API key is unknown or revoked");
    if (presented.fromCookie && changes && !sameOriginRequest(c)) {
      throw new ApiError(
        403,
        "cross_origin",
        "a request signed in by cookie must come from this site's own pages",
      );
    }
    if (!withinConfinement(principal, c.req.method, c.req.path)) {
      throw new ApiError(
        403,
        "forbidden",
        `a ${principal.role} key may only call ${confinement(principal)!.join(" or ")}`,
      );
    }
    return principal;
  }
  if (await openModeApplies(c, openMode, db)) {
    // An origin the operator listed in CORS_ORIGINS (Agent Inbox on another port) is trusted.
    if (changes && crossSiteBrowserRequest(c) && !originTrusted(c, trustedOrigins)) {
      throw new ApiError(
        403,
        "cross_origin",
        "open mode accepts changes only from this server's own pages or from non-browser clients",
      );
    }
    return OPEN_MODE_PRINCIPAL;
  }
  throw new ApiError(401, "unauthenticated", "send an API key: Authorization: Bearer <key>");
}

/**
 * Only an origin listed by name: `*` lets any site read with a key, but in open mode, with no
 * key at all, it would let any page the developer visits make changes.
 */
function originTrusted(c: Context, trusted: readonly string[]): boolean {
  const origin = c.req.header("origin");
  return origin !== undefined && trusted.includes(origin);
}

/** Sets `principal` and `actor` for everything after it; mounted once, in app.ts. */
export function authenticate(
  openMode: OpenModeGate,
  trustedOrigins: readonly string[] = [],
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    // A feedback token was checked before this (feedback-token-access.ts), on its one route.
    if (c.var.feedbackGrant) return next();
    const principal = await resolvePrincipal(c, openMode, c.var.db, trustedOrigins);
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
