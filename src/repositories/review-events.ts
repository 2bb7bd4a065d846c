import type { Queryable } from "../db/database.js";

/** The append-only audit trail of a review: created, claimed, voted, escalated, decided … */
export interface ReviewEventRow {
  event_id: string;
  type: string;
  actor: string;
  at: Date;
  before: unknown;
  after: unknown;
}

export async function eventsOf(db: Queryable, reviewId: string): Promise<ReviewEventRow[]> {
  const { rows } = await db.query<ReviewEventRow>(
    "SELECT event_id, type, actor, at, before, after FROM review_events WHERE review_id = $1 ORDER BY event_id",
    [reviewId],
  );
  return rows;
}

export async function appendReviewEvent(
  db: Queryable,
  event: { review_id: string; type: string; actor: string; before?: unknown; after?: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO review_events (review_id, type, actor, before, after) VALUES ($1, $2, $3, $4, $5)`,
    [event.review_id, event.type, event.actor, event.before ?? null, event.after ?? null],
  );
}
