import { withTransaction } from "../db/database.js";
import type { Logger } from "../logger.js";
import {
  appendReviewEvent,
  expireClaims,
  lockReview,
  overdueReviews,
} from "../repositories/reviews.js";
import { ServiceError } from "../services/errors.js";
import { decide, escalate, type ReviewServiceDeps } from "../services/reviews.js";

export const SLA_ACTOR = "system:sla";

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
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly deps: ReviewServiceDeps,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err: unknown) => this.logger.error({ err }, "review sweep failed"))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
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
        if (!(error instanceof ServiceError && error.status === 409)) {
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
