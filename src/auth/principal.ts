import type { Role } from "./keys.js";

/** Who is calling: from their API key, or the single open-mode user when no keys exist. */
export interface Principal {
  /** The key's id ("anonymous" in open mode): what owns the threads it starts. */
  id: string;
  /** The key's name; recorded as the actor of everything they do. */
  name: string;
  role: Role;
  /** True in open development mode (no API keys configured): every role is allowed. */
  open: boolean;
}

export const OPEN_MODE_PRINCIPAL: Principal = {
  id: "anonymous",
  name: "anonymous",
  role: "admin",
  open: true,
};

export function hasRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.open || allowed.includes(principal.role);
}

/** Loopback addresses are the only ones open mode may bind. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}
