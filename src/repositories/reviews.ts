import type { HumanInterrupt } from "@langchain/langgraph/prebuilt";
import type { Queryable } from "../db/database.js";
import type { Decision, DecisionType, ReviewStage } from "../graph/decision.js";
import type { ReviewCard, ReviewTrigger } from "../graph/review-card.js";

export const reviewStatuses = ["pending", "decided"] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];

export interface ReviewRow {
  review_id: string;
  thread_id: string;
  interrupt_id: string;
  stage: ReviewStage;
  status: ReviewStatus;
  priority: number;
  risk_tier: string;
  reason: string;
  trigger: ReviewTrigger;
  interrupt: HumanInterrupt;
  decision: Decision | null;
  decision_type: DecisionType | null;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export function cardOf(review: Pick<ReviewRow, "interrupt">): ReviewCard {
  return review.interrupt.action_request.args as unknown as ReviewCard;
}

/** Inserts the review for an interrupt unless it exists; returns it only when newly created. */
export async function insertReviewOnce(
  db: Queryable,
  review: Pick<
    ReviewRow,
    "thread_id" | "interrupt_id" | "stage" | "priority" | "risk_tier" | "reason" | "trigger" | "interrupt"
  >,
): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>(
    `INSERT INTO reviews (thread_id, interrupt_id, stage, priority, risk_tier, reason, trigger, interrupt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (interrupt_id) DO NOTHING RETURNING *`,
    [
      review.thread_id,
      review.interrupt_id,
      review.stage,
      review.priority,
      review.risk_tier,
      review.reason,
      review.trigger,
      review.interrupt,
    ],
  );
  return rows[0];
}

export async function findReview(db: Queryable, reviewId: string): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>("SELECT * FROM reviews WHERE review_id = $1", [reviewId]);
  return rows[0];
}

export async function lockReview(db: Queryable, reviewId: string): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>(
    "SELECT * FROM reviews WHERE review_id = $1 FOR UPDATE",
    [reviewId],
  );
  return rows[0];
}

/** The exactly-once step: only the first decision on a pending review changes it. */
export async function markDecided(
  db: Queryable,
  reviewId: string,
  decision: Decision,
  actor: string,
): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>(
    `UPDATE reviews SET status = 'decided', decision = $2, decision_type = $3, decided_by = $4,
       decided_at = clock_timestamp()
     WHERE review_id = $1 AND status = 'pending' RETURNING *`,
    [reviewId, decision, decision.type, actor],
  );
  return rows[0];
}

export interface ReviewSummary {
  review_id: string;
  stage: ReviewStage;
  status: ReviewStatus;
  decision_type: DecisionType | null;
  created_at: Date;
  decided_at: Date | null;
}

export async function reviewsOfThread(db: Queryable, threadId: string): Promise<ReviewSummary[]> {
  const { rows } = await db.query<ReviewSummary>(
    `SELECT review_id, stage, status, decision_type, created_at, decided_at
     FROM reviews WHERE thread_id = $1 ORDER BY created_at, review_id`,
    [threadId],
  );
  return rows;
}

export interface QueueFilter {
  status?: ReviewStatus;
  stage?: ReviewStage;
  limit: number;
  after?: QueueCursor;
}

/** Position in the queue order: priority (high first), then age (old first), then id. */
export interface QueueCursor {
  priority: number;
  created_at: string;
  review_id: string;
}

export async function listQueue(db: Queryable, filter: QueueFilter): Promise<ReviewRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.status) where.push(`status = ${param(filter.status)}`);
  if (filter.stage) where.push(`stage = ${param(filter.stage)}`);
  if (filter.after) {
    const p = param(filter.after.priority);
    const c = param(filter.after.created_at);
    const id = param(filter.after.review_id);
    where.push(
      `(priority < ${p} OR (priority = ${p} AND (created_at, review_id) > (${c}::timestamptz, ${id}::uuid)))`,
    );
  }
  const sql = `SELECT * FROM reviews ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY priority DESC, created_at, review_id LIMIT ${param(filter.limit)}`;
  const { rows } = await db.query<ReviewRow>(sql, params);
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
