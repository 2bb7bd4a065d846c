import type { Role } from "./keys.js";

/** Who is calling: from their API key, or the single open-mode user when no keys exist. */
export interface Principal {
  /** The key's id ("anonymous" in open mode): what owns the threads it starts. */
  id: string;
  /** The key's name; recorded as the actor of everything they do. */
  name: string;
  role: Role;
  /** Domains whose documents this key may curate (lower-cased); null: every domain. */
  domains: readonly string[] | null;
  /** True in open development mode (no API keys configured): every role is allowed. */
  open: boolean;
}

export const OPEN_MODE_PRINCIPAL: Principal = {
  id: "anonymous",
  name: "anonymous",
  role: "admin",
  domains: null,
  open: true,
};

export function hasRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.open || allowed.includes(principal.role);
}

/**
 * Requests a role is confined to, whatever a route's own role check says. Some routes accept any
 * key (GET /threads/:id, thread feedback) and new ones will; a scraper's key must not reach them,
 * so this is an allow-list checked once at authentication rather than a check on every route.
 */
const CONFINED_TO: Partial<Record<Role, readonly string[]>> = {
  metrics: ["GET /metrics", "HEAD /metrics"],
};

/**
 * The requests ("METHOD /path") this principal is confined to, or undefined when only the
 * routes' own role checks apply.
 */
export function confinement(principal: Principal): readonly string[] | undefined {
  return principal.open ? undefined : CONFINED_TO[principal.role];
}

/** Whether this principal may make this request at all (before any route's own check). */
export function withinConfinement(principal: Principal, method: string, path: string): boolean {
  const allowed = confinement(principal);
  return allowed === undefined || allowed.includes(`${method.toUpperCase()} ${path}`);
}

/** Loopback addresses are the only ones open mode may bind. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}
