import type { Queryable } from "../db/database.js";
import type { Thresholds } from "../evals/runner-record.js";
import { findActiveThresholds } from "../repositories/threshold-versions.js";
import { CachedRead } from "./cached-read.js";
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

/** The active threshold version, read once per run at its start and cached (src/runs/cached-read.ts). */
export class ActiveThresholds {
  private readonly read: CachedRead<ActiveGate>;

  constructor(options: ActiveThresholdsOptions) {
    this.read = new CachedRead(
      async () => {
        const row = await findActiveThresholds(options.db);
        return row
          ? {
              version_id: row.version_id,
              version: row.version,
              thresholds: { retrieval: row.retrieval_threshold, judge: row.judge_threshold },
            }
          : { version_id: null, version: null, thresholds: options.defaults };
      },
      options.ttlMs,
      options.signals && ((invalidate) => options.signals!.onThresholdsChanged(invalidate)),
    );
  }

  invalidate(): void {
    this.read.invalidate();
  }

  current(): Promise<ActiveGate> {
    return this.read.current();
  }

  close(): void {
    this.read.close();
  }
}
