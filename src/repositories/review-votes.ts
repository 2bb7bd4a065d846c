import type { Queryable } from "../db/database.js";
import type { Decision, DecisionType } from "../graph/decision.js";

/** A reviewer's sign-off (or objection) where policy wants several: services/reviews/voting.ts. */
export interface VoteRow {
  actor: string;
  decision_type: DecisionType;
  decision: Decision;
  created_at: Date;
}

export async function votesOf(db: Queryable, reviewId: string): Promise<VoteRow[]> {
  const { rows } = await db.query<VoteRow>(
    "SELECT actor, decision_type, decision, created_at FROM review_votes WHERE review_id = $1 ORDER BY created_at, actor",
    [reviewId],
  );
  return rows;
}

/** The votes of several reviews in one statement (a page of the queue), by review id. */
export async function votesOfMany(
  db: Queryable,
  reviewIds: readonly string[],
): Promise<Map<string, VoteRow[]>> {
  const { rows } = await db.query<VoteRow & { review_id: string }>(
    `SELECT review_id, actor, decision_type, decision, created_at FROM review_votes
     WHERE review_id = ANY($1::uuid[]) ORDER BY review_id, created_at, actor`,
    [reviewIds],
  );
  const byReview = new Map<string, VoteRow[]>();
  for (const { review_id, ...vote } of rows) {
    const list = byReview.get(review_id) ?? [];
    list.push(vote);
    byReview.set(review_id, list);
  }
  return byReview;
}

export async function insertVote(
  db: Queryable,
  reviewId: string,
  actor: string,
  decision: Decision,
): Promise<VoteRow | undefined> {
  const { rows } = await db.query<VoteRow>(
    `INSERT INTO review_votes (review_id, actor, decision, decision_type) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING actor, decision_type, decision, created_at`,
    [reviewId, actor, decision, decision.type],
  );
  return rows[0];
}

/**
 * The votes after `inserted` joined `before` (read in the same transaction, under the review's
 * lock), in votesOf's order, without reading them again.
 */
export function withVote(before: VoteRow[], inserted: VoteRow | undefined): VoteRow[] {
  if (!inserted) return before;
  return [...before, inserted].sort(
    (a, b) =>
      a.created_at.getTime() - b.created_at.getTime() ||
      (a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0),
  );
}
