import type { Queryable } from "../db/database.js";
import type { Thresholds } from "../evals/runner-record.js";
import { findActiveThresholds } from "../repositories/threshold-versions.js";
import type { RunSignals } from "./thread-events.js";

/** The thresholds a run is gated with, and the version they come from (null: the environment). */
export interface ActiveGate {
  version_id: string | null;
  version: number | null;
  thresholds: Thresholds;
}

export interface ActiveThresholdsOptions {
  db: Queryable;
  /** The environment's thresholds: what applies while no version is active. */
  defaults: Thresholds;
  /** How long a read is reused without a change signal (a backstop for a missed NOTIFY). */
  ttlMs: number;
  /** Raised on an approval here, by NOTIFY from other processes, and at a resync. */
  signals?: RunSignals;
}

/**
 * The active threshold version, read once per run at its start and cached between runs: an
 * approval anywhere invalidates it (LISTEN/NOTIFY, or this process's own signal), and the TTL
 * bounds how stale it can get if a notification was lost on a connection that died silently.
 */
export class ActiveThresholds {
  private cached: { gate: ActiveGate; at: number } | undefined;
  /** Bumped by every invalidation, so a read that started before one is not cached after it. */
  private generation = 0;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ActiveThresholdsOptions) {
    this.unsubscribe = options.signals?.onThresholdsChanged(() => this.invalidate()) ?? (() => {});
  }

  invalidate(): void {
    this.generation++;
    this.cached = undefined;
  }

  async current(): Promise<ActiveGate> {
    const now = performance.now();
    if (this.cached && now - this.cached.at < this.options.ttlMs) return this.cached.gate;
    const generation = this.generation;
    const row = await findActiveThresholds(this.options.db);
    const gate: ActiveGate = row
      ? {
          version_id: row.version_id,
          version: row.version,
          thresholds: { retrieval: row.retrieval_threshold, judge: row.judge_threshold },
        }
      : { version_id: null, version: null, thresholds: this.options.defaults };
    if (generation === this.generation) this.cached = { gate, at: now };
    return gate;
  }

  close(): void {
    this.unsubscribe();
  }
}
