import type { HumanInterrupt } from "@langchain/langgraph/prebuilt";
import type { Queryable } from "../db/database.js";
import type { Decision, DecisionType, ReviewStage } from "../graph/decision.js";
import {
  cardOfInterrupt,
  toHumanInterrupt,
  type ReviewCard,
  type ReviewTrigger,
} from "../graph/review-card.js";
import type { ThreadRow } from "./threads.js";

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
  /** Why it paused, as a key items with the same cause share (migration 0017 derives it). */
  reason_key: string;
  trigger: ReviewTrigger;
  /**
   * What the review was raised with: `{card}` (the rest of the Agent Inbox payload is made from
   * the card, and the checkpoint holds it whole), or the whole HumanInterrupt (rows stored before).
   */
  interrupt: StoredInterrupt;
  decision: Decision | null;
  decision_type: DecisionType | null;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
  claimed_by: string | null;
  claim_expires_at: Date | null;
  first_claimed_at: Date | null;
  due_at: Date | null;
  fallback_at: Date | null;
  escalated_at: Date | null;
  queue: "main" | "escalation";
  approvals_required: number;
}

export type StoredInterrupt = HumanInterrupt | { card: ReviewCard };

/** The review's card, from the interrupt as stored (in either shape: see `cardOfInterrupt`). */
export function cardOf(review: Pick<ReviewRow, "interrupt">): ReviewCard {
  return cardOfInterrupt(review.interrupt);
}

/** The Agent Inbox HumanInterrupt the graph raised: as stored, or made again from the card. */
export function interruptOf(review: Pick<ReviewRow, "interrupt">): HumanInterrupt {
  const stored = review.interrupt;
  return "description" in stored ? stored : toHumanInterrupt(cardOf(review));
}

/** Inserts the review for an interrupt unless it exists; returns it only when newly created. */
export async function insertReviewOnce(
  db: Queryable,
  review: Pick<
    ReviewRow,
    | "thread_id"
    | "interrupt_id"
    | "stage"
    | "priority"
    | "risk_tier"
    | "reason"
    | "trigger"
    | "approvals_required"
  > & {
    /** The interrupt's card: all of it that is stored (the checkpoint keeps the interrupt whole). */
    card: ReviewCard;
    escalate_after_minutes: number;
    fallback_after_minutes: number;
  },
): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>(
    `INSERT INTO reviews (thread_id, interrupt_id, stage, priority, risk_tier, reason, trigger, interrupt,
       approvals_required, due_at, fallback_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
       clock_timestamp() + make_interval(secs => $10 * 60), clock_timestamp() + make_interval(secs => $11 * 60))
     ON CONFLICT (interrupt_id) DO NOTHING RETURNING *`,
    [
      review.thread_id,
      review.interrupt_id,
      review.stage,
      review.priority,
      review.risk_tier,
      review.reason,
      review.trigger,
      { card: review.card },
      review.approvals_required,
      review.escalate_after_minutes,
      review.fallback_after_minutes,
    ],
  );
  return rows[0];
}

/** Takes (or renews) a reviewer's lease; undefined when someone else holds a live one. */
export async function claimReview(
  db: Queryable,
  reviewId: string,
  actor: string,
  now: Date,
  leaseSeconds: number,
): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>(
    `UPDATE reviews SET claimed_by = $2, claim_expires_at = $3::timestamptz + make_interval(secs => $4),
       first_claimed_at = coalesce(first_claimed_at, $3::timestamptz)
     WHERE review_id = $1 AND status = 'pending'
       AND (claimed_by IS NULL OR claimed_by = $2 OR claim_expires_at <= $3::timestamptz)
     RETURNING *`,
    [reviewId, actor, now, leaseSeconds],
  );
  return rows[0];
}

export async function releaseClaim(
  db: Queryable,
  reviewId: string,
): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>(
    `UPDATE reviews SET claimed_by = NULL, claim_expires_at = NULL
     WHERE review_id = $1 AND status = 'pending' AND claimed_by IS NOT NULL RETURNING *`,
    [reviewId],
  );
  return rows[0];
}

/** Claims whose lease ran out go back to the queue; returns who held them. */
export async function expireClaims(
  db: Queryable,
  now: Date,
): Promise<{ review_id: string; claimed_by: string }[]> {
  const { rows } = await db.query<{ review_id: string; claimed_by: string }>(
    `UPDATE reviews r SET claimed_by = NULL, claim_expires_at = NULL
     FROM (SELECT review_id, claimed_by FROM reviews
           WHERE status = 'pending' AND claimed_by IS NOT NULL AND claim_expires_at <= $1
           FOR UPDATE SKIP LOCKED) old
     WHERE r.review_id = old.review_id
     RETURNING r.review_id, old.claimed_by`,
    [now],
  );
  return rows;
}

/** Escalates one review (overdue or disputed): escalation queue, priority boost. */
export async function escalateReview(
  db: Queryable,
  reviewId: string,
  now: Date,
  boost: number,
): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>(
    `UPDATE reviews SET escalated_at = $2, queue = 'escalation', priority = priority + $3
     WHERE review_id = $1 AND status = 'pending' AND escalated_at IS NULL RETURNING *`,
    [reviewId, now, boost],
  );
  return rows[0];
}

export async function overdueReviews(
  db: Queryable,
  now: Date,
  column: "due_at" | "fallback_at",
): Promise<string[]> {
  const extra = column === "due_at" ? "AND escalated_at IS NULL" : "";
  const { rows } = await db.query<{ review_id: string }>(
    `SELECT review_id FROM reviews WHERE status = 'pending' AND ${column} <= $1 ${extra}
     ORDER BY ${column}, review_id LIMIT 100`,
    [now],
  );
  return rows.map((r) => r.review_id);
}

export async function findReview(db: Queryable, reviewId: string): Promise<ReviewRow | undefined> {
  const { rows } = await db.query<ReviewRow>("SELECT * FROM reviews WHERE review_id = $1", [
    reviewId,
  ]);
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

/**
 * A thread's row and its reviews in one statement (what `GET /threads/:id` shows), for `?wait=`
 * loops that look again on every wake-up.
 */
export async function threadWithReviews(
  db: Queryable,
  threadId: string,
): Promise<{ thread: ThreadRow; reviews: ReviewSummary[] } | undefined> {
  const { rows } = await db.query<ThreadRow & { reviews: ReviewSummaryJson[] }>(
    `SELECT t.*, coalesce((
       SELECT json_agg(json_build_object('review_id', r.review_id, 'stage', r.stage,
         'status', r.status, 'decision_type', r.decision_type, 'created_at', r.created_at,
         'decided_at', r.decided_at) ORDER BY r.created_at, r.review_id)
       FROM reviews r WHERE r.thread_id = t.thread_id), '[]') AS reviews
     FROM threads t WHERE t.thread_id = $1`,
    [threadId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { reviews, ...thread } = row;
  return {
    thread,
    reviews: reviews.map((r) => ({
      ...r,
      created_at: new Date(r.created_at),
      decided_at: r.decided_at === null ? null : new Date(r.decided_at),
    })),
  };
}

/** A ReviewSummary as json_agg sends it: timestamps as text. */
type ReviewSummaryJson = Omit<ReviewSummary, "created_at" | "decided_at"> & {
  created_at: string;
  decided_at: string | null;
};

export interface QueueFilter {
  status?: ReviewStatus;
  stage?: ReviewStage;
  riskTier?: string;
  queue?: "main" | "escalation";
  reasonKey?: string;
  /** A reviewer's name for their live claims, null for unclaimed items. */
  assignee?: string | null;
  olderThanSeconds?: number;
  now: Date;
  limit: number;
  after?: QueueCursor;
}

/** Position in the queue order: priority (high first), then age (old first), then id. */
export interface QueueCursor {
  priority: number;
  created_at: string;
  review_id: string;
}

/**
 * The queue order as the indexes store it (migration 0007): -priority ascending is priority
 * descending, and with every column ascending a cursor is one row comparison the btree seeks to.
 */
const QUEUE_ORDER = "-priority, created_at, review_id";

export async function listQueue(
  db: Queryable,
  filter: QueueFilter,
): Promise<(ReviewRow & { created_at_exact: string })[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.stage) where.push(`stage = ${param(filter.stage)}`);
  if (filter.riskTier) where.push(`risk_tier = ${param(filter.riskTier)}`);
  if (filter.queue) where.push(`queue = ${param(filter.queue)}`);
  if (filter.reasonKey !== undefined) where.push(`reason_key = ${param(filter.reasonKey)}`);
  if (filter.assignee === null)
    where.push(`(claimed_by IS NULL OR claim_expires_at <= ${param(filter.now)})`);
  else if (filter.assignee) {
    where.push(
      `claimed_by = ${param(filter.assignee)} AND claim_expires_at > ${param(filter.now)}`,
    );
  }
  if (filter.olderThanSeconds !== undefined) {
    where.push(
      `created_at <= ${param(filter.now)}::timestamptz - make_interval(secs => ${param(filter.olderThanSeconds)})`,
    );
  }
  if (filter.after) {
    // After the cursor in (priority DESC, created_at, review_id) order.
    where.push(
      `(-priority, created_at, review_id) > (${param(-filter.after.priority)}::integer, ${param(filter.after.created_at)}::timestamptz, ${param(filter.after.review_id)}::uuid)`,
    );
  }
  const limit = param(filter.limit);
  // created_at as text keeps its microseconds; a JS Date would drop them and repeat rows.
  const page = (status: string) =>
    `SELECT *, created_at::text AS created_at_exact FROM reviews
     WHERE ${[`status = ${param(status)}`, ...where].join(" AND ")}
     ORDER BY ${QUEUE_ORDER} LIMIT ${limit}`;
  // Without a status, one page of each status merged: each is a seek on its own index range.
  const sql = filter.status
    ? page(filter.status)
    : `SELECT * FROM (${reviewStatuses.map((s) => `(${page(s)})`).join(" UNION ALL ")}) q
       ORDER BY ${QUEUE_ORDER} LIMIT ${limit}`;
  const { rows } = await db.query<ReviewRow & { created_at_exact: string }>(sql, params);
  return rows;
}

export interface ReasonGroup {
  reason_key: string;
  stage: ReviewStage;
  count: number;
  /** The policy rule's description as a card in the group shows it (policy keys only). */
  rule_description: string | null;
}

/**
 * Pending reviews per reason key and stage, most first: the counts migration 0017's trigger
 * keeps (a sum over a few rows), and for each policy key the description of its rule on the
 * group's first card (in queue order: a seek on the reason index, however rare the key).
 */
export async function pendingReasonGroups(db: Queryable): Promise<ReasonGroup[]> {
  const { rows } = await db.query<ReasonGroup & { count: string }>(
    `SELECT g.reason_key, g.stage, g.count, d.description AS rule_description
     FROM (SELECT key1 AS reason_key, key2 AS stage, sum(n) AS count FROM review_counts
           WHERE family = 'pending_reason' GROUP BY key1, key2 HAVING sum(n) > 0) g
     LEFT JOIN LATERAL (
       SELECT m->>'description' AS description
       FROM (SELECT interrupt FROM reviews r
             WHERE g.reason_key LIKE 'policy:%' AND r.status = 'pending'
               AND r.reason_key = g.reason_key ORDER BY ${QUEUE_ORDER} LIMIT 1) one,
         jsonb_array_elements(coalesce(one.interrupt->'card'->'policy',
           one.interrupt->'action_request'->'args'->'policy', '[]')) m
       WHERE m->>'rule' = substr(g.reason_key, length('policy:') + 1)
       LIMIT 1) d ON true
     ORDER BY g.count DESC, g.reason_key, g.stage`,
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}
