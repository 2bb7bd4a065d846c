import type { Queryable } from "../../db/database.js";
import { lockReview, type ReviewRow } from "../../repositories/reviews.js";
import { ConflictError, notFound } from "../errors.js";
import type { LiveClaim } from "./views.js";

/** Locks the review row for this transaction; not found if missing, a conflict if decided. */
export async function lockPendingReview(tx: Queryable, reviewId: string): Promise<ReviewRow> {
  const review = await lockReview(tx, reviewId);
  if (!review) throw notFound("review", reviewId);
  if (review.status !== "pending") throw alreadyDecided(review);
  return review;
}

export function alreadyDecided(review: ReviewRow): ConflictError {
  return new ConflictError("already_decided", `review ${review.review_id} was already decided`, {
    status: review.status,
    decision_type: review.decision_type,
    decided_by: review.decided_by,
    decided_at: review.decided_at?.toISOString() ?? null,
  });
}

export function claimedByOther(held: LiveClaim): ConflictError {
  return new ConflictError(
    "claimed_by_other",
    `${held.by} has claimed this item until ${held.until.toISOString()}`,
    {
      claimed_by: held.by,
      claim_expires_at: held.until.toISOString(),
    },
  );
}
