import type { Queryable } from "../../db/database.js";
import type { ReviewStage } from "../../graph/decision.js";
import { eventsOf } from "../../repositories/review-events.js";
import { votesOf, votesOfMany } from "../../repositories/review-votes.js";
import {
  findReview,
  listQueue,
  type QueueCursor,
  type ReviewStatus,
} from "../../repositories/reviews.js";
import { notFound } from "../errors.js";
import { encodeCursor } from "./cursor.js";
import type { ReviewServiceDeps } from "./deps.js";
import { toListItem, toView, versionOf, type ReviewListItem, type ReviewView } from "./views.js";

export interface ListFilter {
  status?: ReviewStatus;
  stage?: ReviewStage;
  risk_tier?: string;
  queue?: "main" | "escalation";
  /** Only items that paused for this reason (see ./reasons.ts). */
  reason_key?: string;
  /** "none" for unclaimed items, or a reviewer's name. */
  assignee?: string;
  older_than?: number;
  limit: number;
  cursor?: QueueCursor;
  /** Each item's card `version` too (one more statement), for a page that decides several. */
  with_versions?: boolean;
}

/** One page of the queue, highest priority and oldest first. */
export async function listReviews(
  deps: Pick<ReviewServiceDeps, "pool" | "now">,
  filter: ListFilter,
): Promise<{ items: (ReviewListItem & { version?: string })[]; next_cursor: string | null }> {
  const now = deps.now();
  const rows = await listQueue(deps.pool, {
    status: filter.status,
    stage: filter.stage,
    riskTier: filter.risk_tier,
    queue: filter.queue,
    reasonKey: filter.reason_key,
    assignee: filter.assignee === "none" ? null : filter.assignee,
    olderThanSeconds: filter.older_than,
    after: filter.cursor,
    // One more than the page: whether it exists says if there is a next page.
    limit: filter.limit + 1,
    now,
  });
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  const votes = filter.with_versions
    ? await votesOfMany(
        deps.pool,
        page.map((r) => r.review_id),
      )
    : undefined;
  return {
    items: page.map((r) =>
      votes
        ? { ...toListItem(r, now), version: versionOf(r, votes.get(r.review_id) ?? []) }
        : toListItem(r, now),
    ),
    next_cursor: rows.length > filter.limit && last ? encodeCursor(last) : null,
  };
}

export async function getReview(
  deps: Pick<ReviewServiceDeps, "pool" | "now">,
  reviewId: string,
): Promise<ReviewView> {
  const row = await findReview(deps.pool, reviewId);
  if (!row) throw notFound("review", reviewId);
  return toView(row, await votesOf(deps.pool, reviewId), deps.now());
}

/** The review's audit trail, oldest first. */
export async function reviewEvents(db: Queryable, reviewId: string) {
  if (!(await findReview(db, reviewId))) throw notFound("review", reviewId);
  return (await eventsOf(db, reviewId)).map((e) => ({
    event_id: Number(e.event_id),
    type: e.type,
    actor: e.actor,
    at: e.at.toISOString(),
    before: e.before,
    after: e.after,
  }));
}
