import type { Queryable } from "../db/database.js";
import { hasActiveKeys } from "./keys.js";

/**
 * Open development mode: with no API key, every caller is the same all-roles user. It is
 * decided when the server starts (bound to loopback and no active key) and, once any key
 * exists, in this process or another sharing the database, it is off until a restart: revoking
 * the last key does not open the server up again.
 */
export class OpenModeGate {
  private closed: boolean;

  constructor(allowedAtStart: boolean) {
    this.closed = !allowedAtStart;
  }

  /** True while open mode holds; looks for keys (another process may have made one) until off. */
  async isOpen(db: Queryable): Promise<boolean> {
    if (this.closed) return false;
    if (await hasActiveKeys(db)) this.closed = true;
    return !this.closed;
  }

  /** A key was created here: open mode is over for this process. */
  close(): void {
    this.closed = true;
  }

  /** Whether open mode could still apply (for start-up messages and tests). */
  get possible(): boolean {
    return !this.closed;
  }
}
