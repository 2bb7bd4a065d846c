import type { Queryable } from "../db/database.js";
import type { RunSignals } from "../runs/thread-events.js";

/**
 * Open development mode: with no API key, every caller is the same all-roles user. It is
 * decided when the server starts (bound to loopback and no active key) and ends for good, until a
 * restart, the moment any key is created after that, in this process or another sharing the
 * database, even one revoked again at once: revoking the last key does not open the server up.
 *
 * Another process's new key is learnt from its notification (migration 0015) while `signals`
 * cover every process (embedded, or the listener connected); whenever they may have missed one
 * (no signals, the listener away or just back), the gate looks at the keys again per request.
 */
export class OpenModeGate {
  private closed: boolean;
  /** The newest key's creation time at the first look (keys revoked before start are fine). */
  private baseline: string | null | undefined;
  /** The signals' epoch of the last look that found open mode still on. */
  private lookedAt: number | undefined;

  constructor(
    allowedAtStart: boolean,
    private readonly signals?: RunSignals,
  ) {
    this.closed = !allowedAtStart;
    signals?.onKeyCreated(() => this.close());
  }

  /** True while open mode holds; looks at the keys (another process may have made one) until off. */
  async isOpen(db: Queryable): Promise<boolean> {
    if (this.closed) return false;
    const signals = this.signals;
    if (signals?.coversAllProcesses && this.lookedAt === signals.epoch) return true;
    // Taken before looking: a gap in the signals during the look makes the next request look too.
    const epoch = signals?.epoch;
    const { rows } = await db.query<{ active: boolean; newest: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL) AS active,
              max(created_at)::text AS newest FROM api_keys`,
    );
    const { active, newest } = rows[0]!;
    if (this.baseline === undefined) this.baseline = newest;
    if (active || newest !== this.baseline) this.closed = true;
    if (!this.closed) this.lookedAt = epoch;
    return !this.closed;
  }

  /** A key was created here: open mode is over for this process. */
  close(): void {
    this.closed = true;
  }
}
