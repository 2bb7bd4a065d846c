import { withTransaction } from "../db/database.js";
import type { Logger } from "../logger.js";
import { appendReviewEvent } from "../repositories/review-events.js";
import { expireClaims, lockReview, overdueReviews } from "../repositories/reviews.js";
import { ConflictError } from "../services/errors.js";
import { decide, escalate, type ReviewServiceDeps } from "../services/reviews.js";
import { BackgroundLoop } from "./background-loop.js";
import {
  isRetentionEnabled,
  nothingDeleted,
  runRetention,
  type RetentionPolicy,
  type RetentionResult,
} from "./retention.js";

export const SLA_ACTOR = "system:sla";

/** Retention passes run by the sweeper on their own, slower, timer. */
export interface SweeperRetention {
  policy: RetentionPolicy;
  intervalMs: number;
}

export interface SweepResult {
  expired: number;
  escalated: number;
  fallbacks: number;
}

/**
 * The review workflow's clock, run by workers: returns expired claims to the queue, escalates
 * reviews past their due time, and resolves reviews past their fallback time with the safe
 * fallback reply (a `reject` by system:sla, through the same exactly-once decision path, so a
 * reviewer deciding at the same moment wins or loses cleanly). Any number of workers may sweep.
 * On a slower timer of its own it also runs retention passes, which delete finished work.
 */
export class Sweeper {
  private readonly sweeps: BackgroundLoop;
  /** Absent when retention is off. */
  private readonly retentionPasses: BackgroundLoop | undefined;

  constructor(
    private readonly deps: ReviewServiceDeps,
    private readonly logger: Logger,
    intervalMs: number,
    /** Absent, or with every age 0, nothing is ever deleted. */
    private readonly retention?: SweeperRetention,
  ) {
    // Each loop waits its interval before its first pass, as a timer would.
    this.sweeps = new BackgroundLoop({
      task: "review sweep",
      logger,
      intervalMs,
      startWith: "wait",
      pass: async () => {
        await this.sweep();
        return "idle";
      },
    });
    // A loop of its own: the review clock ticks every few seconds, retention needs minutes, and a
    // long retention pass must not delay an SLA fallback.
    this.retentionPasses =
      retention && isRetentionEnabled(retention.policy)
        ? new BackgroundLoop({
            task: "retention pass",
            logger,
            intervalMs: retention.intervalMs,
            startWith: "wait",
            pass: async () => {
              await this.retain();
              return "idle";
            },
          })
        : undefined;
  }

  start(): void {
    this.sweeps.start();
    this.retentionPasses?.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.sweeps.stop(), this.retentionPasses?.stop()]);
  }

  /**
   * One retention pass (see src/runs/retention.ts), logged as one line with the rows deleted per
   * table when anything was. Any number of workers may run it at once: batches skip rows another
   * one holds.
   */
  async retain(now: Date = this.deps.now()): Promise<RetentionResult | undefined> {
    if (!this.retention) return undefined;
    const result = await runRetention(this.deps.pool, this.retention.policy, now);
    if (!nothingDeleted(result)) {
      const { capped, ...counts } = result;
      this.logger.info({ ...counts, ...(capped.length ? { capped } : {}) }, "retention pass");
    }
    return result;
  }

  async sweep(now: Date = this.deps.now()): Promise<SweepResult> {
    const result: SweepResult = { expired: 0, escalated: 0, fallbacks: 0 };

    await withTransaction(this.deps.pool, async (tx) => {
      for (const { review_id, claimed_by } of await expireClaims(tx, now)) {
        await appendReviewEvent(tx, {
          review_id,
          type: "expired",
          actor: "system",
          before: { claimed_by },
          after: { claimed_by: null },
        });
        result.expired++;
      }
    });

    for (const reviewId of await overdueReviews(this.deps.pool, now, "due_at")) {
      const escalated = await withTransaction(this.deps.pool, async (tx) => {
        const review = await lockReview(tx, reviewId);
        if (!review || review.status !== "pending" || review.escalated_at) return false;
        const minutes = Math.round((now.getTime() - review.created_at.getTime()) / 60_000);
        return (
          (await escalate(tx, this.deps, review, now, `not decided within ${minutes} minutes`)) !==
          undefined
        );
      });
      if (escalated) result.escalated++;
    }

    for (const reviewId of await overdueReviews(this.deps.pool, now, "fallback_at")) {
      try {
        await decide(
          this.deps,
          reviewId,
          {
            type: "reject",
            reasons: ["sla_expired"],
            comment: `no decision by the review's deadline`,
          },
          { name: SLA_ACTOR, admin: true },
          { system: true },
        );
        result.fallbacks++;
      } catch (error) {
        // Decided by a reviewer in the meantime: nothing to do. Anything else is logged and the
        // sweep goes on, so one broken item cannot hold back every fallback after it.
        if (!(error instanceof ConflictError)) {
          this.logger.error({ err: error, review_id: reviewId }, "SLA fallback failed");
        }
      }
    }
    if (result.expired || result.escalated || result.fallbacks) {
      this.logger.info({ ...result }, "review sweep");
    }
    return result;
  }
}
