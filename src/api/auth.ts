import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { findActiveKey, hasActiveKeys, type Role } from "../auth/keys.js";
import { hasRole, OPEN_MODE_PRINCIPAL, type Principal } from "../auth/principal.js";
import type { ApiEnv } from "./app.js";
import { ApiError } from "./errors.js";

export const KEY_COOKIE = "signoff_key";

function presentedKey(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer ?? c.req.header("x-api-key") ?? getCookie(c, KEY_COOKIE);
}

/**
 * Resolves the caller from their API key. Open development mode (no key needed, everyone is the
 * same all-roles user) applies only while no active key exists AND the server is bound to
 * loopback (`allowOpenMode`): revoking the last key of a server on a public address does not
 * open it up.
 */
export function authenticate(allowOpenMode: boolean): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const pool = c.var.services.threads.pool;
    const key = presentedKey(c);
    let principal: Principal | undefined;
    if (key) {
      const row = await findActiveKey(pool, key);
      if (!row) throw new ApiError(401, "invalid_key", "the API key is unknown or revoked");
      principal = { id: row.key_id, name: row.name, role: row.role, open: false };
    } else if (allowOpenMode && !(await hasActiveKeys(pool))) {
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
