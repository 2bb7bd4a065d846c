import type pg from "pg";
import { withTransaction } from "../db/database.js";
import type { Decision, ReviewStage } from "../graph/decision.js";
import { decisionProblem } from "../graph/decision-rules.js";
import type { ReviewCard } from "../graph/review-card.js";
import { insertFeedback } from "../repositories/feedback.js";
import { enqueueRun } from "../repositories/runs.js";
import {
  appendReviewEvent,
  cardOf,
  listQueue,
  lockReview,
  markDecided,
  findReview,
  type QueueCursor,
  type ReviewRow,
  type ReviewStatus,
} from "../repositories/reviews.js";
import { findThread, setThreadStatus } from "../repositories/threads.js";
import type { RunSignals } from "../runs/thread-events.js";
import { notFound, ServiceError } from "./errors.js";

export interface ReviewServiceDeps {
  pool: pg.Pool;
  signals: RunSignals;
  maxAttempts: number;
}

export interface ReviewListItem {
  review_id: string;
  thread_id: string;
  stage: ReviewStage;
  status: ReviewStatus;
  priority: number;
  risk_tier: string;
  reason: string;
  question: string;
  created_at: string;
  decided_at: string | null;
  decision_type: string | null;
}

export interface ReviewView extends ReviewListItem {
  trigger: ReviewRow["trigger"];
  card: ReviewCard;
  /** The Agent Inbox HumanInterrupt as raised by the graph. */
  interrupt: ReviewRow["interrupt"];
  decision: Decision | null;
  decided_by: string | null;
}

function toListItem(row: ReviewRow): ReviewListItem {
  return {
    review_id: row.review_id,
    thread_id: row.thread_id,
    stage: row.stage,
    status: row.status,
    priority: row.priority,
    risk_tier: row.risk_tier,
    reason: row.reason,
    question: cardOf(row).question,
    created_at: row.created_at.toISOString(),
    decided_at: row.decided_at?.toISOString() ?? null,
    decision_type: row.decision_type,
  };
}

function toView(row: ReviewRow): ReviewView {
  return {
    ...toListItem(row),
    trigger: row.trigger,
    card: cardOf(row),
    interrupt: row.interrupt,
    decision: row.decision,
    decided_by: row.decided_by,
  };
}

export function encodeCursor(row: ReviewRow): string {
  const cursor: QueueCursor = {
    priority: row.priority,
    created_at: row.created_at.toISOString(),
    review_id: row.review_id,
  };
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

/** Undefined when the cursor was not made by encodeCursor. */
export function decodeCursor(cursor: string): QueueCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<QueueCursor>;
    if (
      typeof value.priority === "number" &&
      typeof value.created_at === "string" &&
      !Number.isNaN(Date.parse(value.created_at)) &&
      typeof value.review_id === "string" &&
      /^[0-9a-f-]{36}$/i.test(value.review_id)
    ) {
      return value as QueueCursor;
    }
  } catch {
    // fall through
  }
  return undefined;
}

export async function listReviews(
  pool: pg.Pool,
  filter: { status?: ReviewStatus; stage?: ReviewStage; limit: number; cursor?: QueueCursor },
): Promise<{ items: ReviewListItem[]; next_cursor: string | null }> {
  const rows = await listQueue(pool, { ...filter, after: filter.cursor, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(toListItem),
    next_cursor: rows.length > filter.limit && last ? encodeCursor(last) : null,
  };
}

export async function getReview(pool: pg.Pool, reviewId: string): Promise<ReviewView> {
  const row = await findReview(pool, reviewId);
  if (!row) throw notFound("review", reviewId);
  return toView(row);
}

export interface DecisionResult {
  review: ReviewView;
  thread_id: string;
  run_id: string;
}

/**
 * Accepts a decision exactly once. In one transaction: lock the review row (a concurrent
 * decision waits here, then sees it decided and gets 409), mark it decided, append the audit
 * event, store the structured feedback, and enqueue the resume run.
 */
export async function decide(
  deps: ReviewServiceDeps,
  reviewId: string,
  decision: Decision,
  actor: string,
): Promise<DecisionResult> {
  const result = await withTransaction(deps.pool, async (tx) => {
    const review = await lockReview(tx, reviewId);
    if (!review) throw notFound("review", reviewId);
    if (review.status !== "pending") {
      throw new ServiceError(409, "already_decided", `review ${reviewId} was already decided`, {
        status: review.status,
        decision_type: review.decision_type,
        decided_at: review.decided_at?.toISOString() ?? null,
      });
    }
    const card = cardOf(review);
    const problem = decisionProblem(decision, card);
    if (problem) throw new ServiceError(422, "decision_not_allowed", problem);
    if (decision.type === "edit" && decision.chunk_ids) {
      const { rows } = await tx.query<{ n: string }>(
        "SELECT count(*) AS n FROM chunks WHERE chunk_id = ANY($1::uuid[])",
        [decision.chunk_ids],
      );
      if (Number(rows[0]?.n) !== new Set(decision.chunk_ids).size) {
        throw new ServiceError(422, "unknown_chunks", "some chunk_ids are not passages of the knowledge base");
      }
    }
    const decided = await markDecided(tx, reviewId, decision, actor);
    if (!decided) throw new ServiceError(409, "already_decided", `review ${reviewId} was already decided`);
    await appendReviewEvent(tx, {
      review_id: reviewId,
      type: "decided",
      actor,
      before: { status: review.status },
      after: { status: decided.status, decision },
    });
    const thread = await findThread(tx, review.thread_id);
    await insertFeedback(tx, {
      thread_id: review.thread_id,
      review_id: reviewId,
      source: "review",
      stage: review.stage,
      decision_type: decision.type,
      reasons: decision.reasons,
      comment: decision.comment,
      correction: "answer" in decision ? decision.answer : undefined,
      instructions: decision.type === "revise" ? decision.instructions : undefined,
      chunk_ids: decision.type === "edit" ? decision.chunk_ids : undefined,
      context: {
        question: card.question,
        risk_tier: card.risk_tier,
        trigger: review.trigger,
        passages: card.retrieval.passages.map((p) => ({ chunk_id: p.chunk_id, score: p.score })),
        draft: card.draft?.text ?? null,
        judge: card.judge,
        metadata: thread?.metadata ?? {},
        review_created_at: review.created_at.toISOString(),
      },
      actor,
    });
    const runId = await enqueueRun(tx, {
      thread_id: review.thread_id,
      kind: "resume",
      review_id: reviewId,
      max_attempts: deps.maxAttempts,
    });
    await setThreadStatus(tx, review.thread_id, "queued");
    return { review: toView(decided), thread_id: review.thread_id, run_id: runId };
  });
  deps.signals.runEnqueued();
  return result;
}
