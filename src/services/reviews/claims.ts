import { withTransaction } from "../../db/database.js";
import { appendReviewEvent } from "../../repositories/review-events.js";
import { votesOf } from "../../repositories/review-votes.js";
import { claimReview, releaseClaim } from "../../repositories/reviews.js";
import { ConflictError } from "../errors.js";
import type { Caller, ReviewServiceDeps } from "./deps.js";
import { claimedByOther, lockPendingReview } from "./pending-review.js";
import { liveClaim, toView, type ReviewView } from "./views.js";

/** Gives the caller a lease on the item, or renews theirs; an admin may take one over. */
export function claim(
  deps: ReviewServiceDeps,
  reviewId: string,
  caller: Caller,
): Promise<ReviewView> {
  return takeLease(deps, reviewId, caller, "claim");
}

/** Renews the caller's own live claim; never takes an item over (that is an explicit claim). */
export function heartbeat(
  deps: ReviewServiceDeps,
  reviewId: string,
  caller: Caller,
): Promise<ReviewView> {
  return takeLease(deps, reviewId, caller, "renew");
}

async function takeLease(
  deps: ReviewServiceDeps,
  reviewId: string,
  caller: Caller,
  mode: "claim" | "renew",
): Promise<ReviewView> {
  const now = deps.now();
  return withTransaction(deps.pool, async (tx) => {
    const before = await lockPendingReview(tx, reviewId);
    const held = liveClaim(before, now);
    const mine = held?.by === caller.name;
    if (mode === "renew" && !held) {
      throw new ConflictError("not_claimed", `review ${reviewId} is not claimed; claim it again`);
    }
    // Only an explicit claim by an admin takes an item over (a supervisor reassigning work).
    if (held && !mine && (mode === "renew" || !caller.admin)) throw claimedByOther(held);
    if (held && !mine) await releaseClaim(tx, reviewId);
    const after = (await claimReview(tx, reviewId, caller.name, now, deps.claimLeaseSeconds))!;
    await appendReviewEvent(tx, {
      review_id: reviewId,
      type: mine ? "claim_renewed" : "claimed",
      actor: caller.name,
      before: { claimed_by: held?.by ?? null, claim_expires_at: held?.until.toISOString() ?? null },
      after: { claimed_by: caller.name, claim_expires_at: after.claim_expires_at?.toISOString() },
    });
    return toView(after, await votesOf(tx, reviewId), now);
  });
}

/** Gives the item back to the queue; only its holder or an admin may. */
export async function release(
  deps: ReviewServiceDeps,
  reviewId: string,
  caller: Caller,
): Promise<ReviewView> {
  const now = deps.now();
  return withTransaction(deps.pool, async (tx) => {
    const before = await lockPendingReview(tx, reviewId);
    const held = liveClaim(before, now);
    if (!held) throw new ConflictError("not_claimed", `review ${reviewId} is not claimed`);
    if (held.by !== caller.name && !caller.admin) throw claimedByOther(held);
    const after = (await releaseClaim(tx, reviewId))!;
    await appendReviewEvent(tx, {
      review_id: reviewId,
      type: "released",
      actor: caller.name,
      before: { claimed_by: held.by },
      after: { claimed_by: null },
    });
    return toView(after, await votesOf(tx, reviewId), now);
  });
}
