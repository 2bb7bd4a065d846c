import type { Queryable } from "../../db/database.js";
import { appendReviewEvent } from "../../repositories/review-events.js";
import { escalateReview, type ReviewRow } from "../../repositories/reviews.js";
import type { ReviewServiceDeps } from "./deps.js";

/** Moves an item to the escalation queue with a priority boost, recording why. */
export async function escalate(
  tx: Queryable,
  deps: Pick<ReviewServiceDeps, "reviewPolicy" | "emit">,
  review: ReviewRow,
  now: Date,
  why: string,
): Promise<ReviewRow | undefined> {
  const escalated = await escalateReview(
    tx,
    review.review_id,
    now,
    deps.reviewPolicy.escalation_priority_boost,
  );
  if (!escalated) return undefined;
  await appendReviewEvent(tx, {
    review_id: review.review_id,
    type: "escalated",
    actor: "system",
    before: { queue: review.queue, priority: review.priority },
    after: { queue: escalated.queue, priority: escalated.priority, reason: why },
  });
  await deps.emit(tx, "review.escalated", {
    review_id: review.review_id,
    thread_id: review.thread_id,
    stage: review.stage,
    risk_tier: review.risk_tier,
    priority: escalated.priority,
    reason: why,
    fallback_at: review.fallback_at?.toISOString() ?? null,
  });
  return escalated;
}
