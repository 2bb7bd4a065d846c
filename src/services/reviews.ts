import { isStorableTimestamp } from "../validation/timestamps.js";
import type pg from "pg";
import { createHash } from "node:crypto";
import { withTransaction, type Queryable } from "../db/database.js";
import type { Decision, ReviewStage } from "../graph/decision.js";
import { decisionProblem } from "../graph/decision-rules.js";
import type { ReviewCard } from "../graph/review-card.js";
import { insertFeedback } from "../repositories/feedback.js";
import { enqueueRun } from "../repositories/runs.js";
import {
  appendReviewEvent,
  cardOf,
  claimReview,
  escalateReview,
  eventsOf,
  insertVote,
  listQueue,
  lockReview,
  markDecided,
  findReview,
  releaseClaim,
  votesOf,
  type VoteRow,
  type QueueCursor,
  type ReviewRow,
  type ReviewStatus,
} from "../repositories/reviews.js";
import { findThread, setThreadStatus } from "../repositories/threads.js";
import type { RunSignals } from "../runs/thread-events.js";
import { notFound, ServiceError } from "./errors.js";
import type { ReviewPolicy } from "./review-policy.js";
import type { EmitEvent } from "../webhooks/emit.js";

export interface ReviewServiceDeps {
  pool: pg.Pool;
  signals: RunSignals;
  maxAttempts: number;
  reviewPolicy: ReviewPolicy;
  emit: EmitEvent;
  claimLeaseSeconds: number;
  /** The service's clock; tests move it instead of sleeping. */
  now: () => Date;
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
  queue: "main" | "escalation";
  claimed_by: string | null;
  claim_expires_at: string | null;
  due_at: string | null;
  escalated_at: string | null;
  created_at: string;
  decided_at: string | null;
  decision_type: string | null;
}

export interface ReviewView extends ReviewListItem {
  /** Digest of what the reviewer is shown; a decision made on another version is refused. */
  version: string;
  trigger: ReviewRow["trigger"];
  card: ReviewCard;
  /** The Agent Inbox HumanInterrupt as raised by the graph. */
  interrupt: ReviewRow["interrupt"];
  decision: Decision | null;
  decided_by: string | null;
  approvals: { required: number; votes: { actor: string; decision_type: string; at: string }[] };
  fallback_at: string | null;
}

/** A claim counts only while its lease runs. */
function liveClaim(row: ReviewRow, now: Date): { by: string; until: Date } | null {
  return row.claimed_by && row.claim_expires_at && row.claim_expires_at > now
    ? { by: row.claimed_by, until: row.claim_expires_at }
    : null;
}

function toListItem(row: ReviewRow, now: Date): ReviewListItem {
  const claim = row.status === "pending" ? liveClaim(row, now) : null;
  return {
    review_id: row.review_id,
    thread_id: row.thread_id,
    stage: row.stage,
    status: row.status,
    priority: row.priority,
    risk_tier: row.risk_tier,
    reason: row.reason,
    question: cardOf(row).question,
    queue: row.queue,
    claimed_by: claim?.by ?? null,
    claim_expires_at: claim?.until.toISOString() ?? null,
    due_at: row.due_at?.toISOString() ?? null,
    escalated_at: row.escalated_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    decided_at: row.decided_at?.toISOString() ?? null,
    decision_type: row.decision_type,
  };
}

/** What the reviewer sees that can change while the item waits: the card, votes, escalation. */
export function versionOf(row: ReviewRow, votes: VoteRow[]): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        row.interrupt_id,
        row.interrupt,
        row.status,
        row.escalated_at,
        votes.map((v) => [v.actor, v.decision_type]),
      ]),
    )
    .digest("base64url")
    .slice(0, 16);
}

function toView(row: ReviewRow, votes: VoteRow[], now: Date): ReviewView {
  return {
    ...toListItem(row, now),
    version: versionOf(row, votes),
    trigger: row.trigger,
    card: cardOf(row),
    interrupt: row.interrupt,
    decision: row.decision,
    decided_by: row.decided_by,
    approvals: {
      required: row.approvals_required,
      votes: votes.map((v) => ({
        actor: v.actor,
        decision_type: v.decision_type,
        at: v.created_at.toISOString(),
      })),
    },
    fallback_at: row.fallback_at?.toISOString() ?? null,
  };
}

export function encodeCursor(row: ReviewRow & { created_at_exact: string }): string {
  const cursor: QueueCursor = {
    priority: row.priority,
    created_at: row.created_at_exact,
    review_id: row.review_id,
  };
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

/** Undefined when the cursor was not made by encodeCursor. */
export function decodeCursor(cursor: string): QueueCursor | undefined {
  try {
    const value = JSON.parse(
      Buffer.from(cursor, "base64url").toString("utf8"),
    ) as Partial<QueueCursor>;
    if (
      Number.isSafeInteger(value.priority) &&
      typeof value.created_at === "string" &&
      /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/.test(
        value.created_at,
      ) &&
      isStorableTimestamp(value.created_at) &&
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

export interface ListFilter {
  status?: ReviewStatus;
  stage?: ReviewStage;
  risk_tier?: string;
  queue?: "main" | "escalation";
  /** "none" for unclaimed items, or a reviewer's name. */
  assignee?: string;
  older_than?: number;
  limit: number;
  cursor?: QueueCursor;
}

export async function listReviews(
  deps: Pick<ReviewServiceDeps, "pool" | "now">,
  filter: ListFilter,
): Promise<{ items: ReviewListItem[]; next_cursor: string | null }> {
  const now = deps.now();
  const rows = await listQueue(deps.pool, {
    status: filter.status,
    stage: filter.stage,
    riskTier: filter.risk_tier,
    queue: filter.queue,
    assignee: filter.assignee === "none" ? null : filter.assignee,
    olderThanSeconds: filter.older_than,
    after: filter.cursor,
    limit: filter.limit + 1,
    now,
  });
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toListItem(r, now)),
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

export async function reviewEvents(pool: pg.Pool, reviewId: string) {
  if (!(await findReview(pool, reviewId))) throw notFound("review", reviewId);
  return (await eventsOf(pool, reviewId)).map((e) => ({
    event_id: Number(e.event_id),
    type: e.type,
    actor: e.actor,
    at: e.at.toISOString(),
    before: e.before,
    after: e.after,
  }));
}

export interface Caller {
  name: string;
  /** Admins may take over claims and settle disputed items. */
  admin: boolean;
}

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
      throw new ServiceError(
        409,
        "not_claimed",
        `review ${reviewId} is not claimed; claim it again`,
      );
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

export async function release(
  deps: ReviewServiceDeps,
  reviewId: string,
  caller: Caller,
): Promise<ReviewView> {
  const now = deps.now();
  return withTransaction(deps.pool, async (tx) => {
    const before = await lockPendingReview(tx, reviewId);
    const held = liveClaim(before, now);
    if (!held) throw new ServiceError(409, "not_claimed", `review ${reviewId} is not claimed`);
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

/** Locks the review row for this transaction; 404 if it does not exist, 409 if it is decided. */
async function lockPendingReview(tx: Queryable, reviewId: string): Promise<ReviewRow> {
  const review = await lockReview(tx, reviewId);
  if (!review) throw notFound("review", reviewId);
  if (review.status !== "pending") throw alreadyDecided(review);
  return review;
}

function alreadyDecided(review: ReviewRow): ServiceError {
  return new ServiceError(
    409,
    "already_decided",
    `review ${review.review_id} was already decided`,
    {
      status: review.status,
      decision_type: review.decision_type,
      decided_by: review.decided_by,
      decided_at: review.decided_at?.toISOString() ?? null,
    },
  );
}

function claimedByOther(held: { by: string; until: Date }): ServiceError {
  return new ServiceError(
    409,
    "claimed_by_other",
    `${held.by} has claimed this item until ${held.until.toISOString()}`,
    {
      claimed_by: held.by,
      claim_expires_at: held.until.toISOString(),
    },
  );
}

export type DecisionOutcome = "decided" | "vote_recorded" | "escalated";

export interface DecisionResult {
  outcome: DecisionOutcome;
  review: ReviewView;
  thread_id: string;
}

export interface DecideOptions {
  /** The card version the reviewer saw; another version is refused with the fresh card. */
  version?: string;
  /** The SLA sweeper: not held to claims or approvals. */
  system?: boolean;
}

/**
 * Accepts a decision exactly once. In one transaction: lock the review row (a concurrent
 * decision waits here, then sees it decided and gets 409), check claim, version and approvals,
 * mark it decided, append the audit event, store the structured feedback, and enqueue the resume
 * run. Where policy wants several sign-offs, an answer-stage approval is a vote until enough are
 * in; an answer a reviewer wrote (edit, respond) and any objection after an approval escalate the
 * item to an admin, whose decision is final.
 */
export async function decide(
  deps: ReviewServiceDeps,
  reviewId: string,
  decision: Decision,
  caller: Caller,
  options: DecideOptions = {},
): Promise<DecisionResult> {
  const now = deps.now();
  const result = await withTransaction(deps.pool, async (tx): Promise<DecisionResult> => {
    const review = await lockPendingReview(tx, reviewId);
    const votes = await votesOf(tx, reviewId);
    if (options.version !== undefined && options.version !== versionOf(review, votes)) {
      throw new ServiceError(
        409,
        "stale_version",
        "the review changed since you loaded it; here is the current card",
        {
          review: toView(review, votes, now),
        },
      );
    }
    const held = liveClaim(review, now);
    if (held && held.by !== caller.name && !caller.admin && !options.system)
      throw claimedByOther(held);
    const card = cardOf(review);
    const problem = decisionProblem(decision, card);
    if (problem) throw new ServiceError(422, "decision_not_allowed", problem);
    if (decision.type === "edit" && decision.chunk_ids) {
      const { rows } = await tx.query<{ n: string }>(
        "SELECT count(*) AS n FROM chunks WHERE chunk_id = ANY($1::uuid[])",
        [decision.chunk_ids],
      );
      if (Number(rows[0]?.n) !== new Set(decision.chunk_ids).size) {
        throw new ServiceError(
          422,
          "unknown_chunks",
          "some chunk_ids are not passages of the knowledge base",
        );
      }
    }

    // Several sign-offs wanted (admins and the SLA sweeper always decide outright).
    if (review.approvals_required > 1 && !options.system && !caller.admin) {
      if (votes.some((v) => v.actor === caller.name)) {
        throw new ServiceError(
          409,
          "already_voted",
          `${caller.name} has already voted on this item`,
        );
      }
      if (votes.some((v) => v.decision_type !== "approve")) {
        throw new ServiceError(
          409,
          "escalated_to_admin",
          "reviewers disagreed on this item; an admin decides it now",
        );
      }
      const approvals = votes.length;
      const writesAnswer =
        decision.type === "respond" || (decision.type === "edit" && decision.answer !== undefined);
      const counts = review.stage === "answer" && decision.type === "approve";
      // Text a reviewer wrote needs a second pair of eyes; an objection after an approval is a dispute.
      const escalateWhy = writesAnswer
        ? "a reviewer wrote the answer; policy wants a second sign-off"
        : !counts && approvals > 0
          ? "reviewers disagreed"
          : undefined;
      if (escalateWhy || (counts && approvals + 1 < review.approvals_required)) {
        await insertVote(tx, reviewId, caller.name, decision);
        await appendReviewEvent(tx, {
          review_id: reviewId,
          type: "voted",
          actor: caller.name,
          before: { approvals },
          after: {
            decision,
            approvals: approvals + (counts ? 1 : 0),
            required: review.approvals_required,
          },
        });
        let current = review;
        if (escalateWhy) current = (await escalate(tx, deps, review, now, escalateWhy)) ?? review;
        if (held?.by === caller.name) current = (await releaseClaim(tx, reviewId)) ?? current;
        return {
          outcome: escalateWhy ? "escalated" : "vote_recorded",
          review: toView(current, await votesOf(tx, reviewId), now),
          thread_id: review.thread_id,
        };
      }
      if (counts) await insertVote(tx, reviewId, caller.name, decision);
    }

    const decided = await markDecided(tx, reviewId, decision, caller.name);
    if (!decided) throw alreadyDecided(review);
    const finalVotes = await votesOf(tx, reviewId);
    await appendReviewEvent(tx, {
      review_id: reviewId,
      type: "decided",
      actor: caller.name,
      before: { status: review.status, claimed_by: held?.by ?? null },
      after: { status: decided.status, decision, approvals: finalVotes.map((v) => v.actor) },
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
      root_cause: decision.root_cause,
      context: {
        question: card.question,
        risk_tier: card.risk_tier,
        trigger: review.trigger,
        passages: card.retrieval.passages.map((p) => ({ chunk_id: p.chunk_id, score: p.score })),
        draft: card.draft?.text ?? null,
        judge: card.judge,
        metadata: thread?.metadata ?? {},
        review_created_at: review.created_at.toISOString(),
        first_claimed_at: review.first_claimed_at?.toISOString() ?? null,
        escalated_at: review.escalated_at?.toISOString() ?? null,
        approvals: finalVotes.map((v) => v.actor),
      },
      actor: caller.name,
    });
    await enqueueRun(tx, {
      thread_id: review.thread_id,
      kind: "resume",
      review_id: reviewId,
      max_attempts: deps.maxAttempts,
    });
    await setThreadStatus(tx, review.thread_id, "queued");
    return {
      outcome: "decided",
      review: toView(decided, finalVotes, now),
      thread_id: review.thread_id,
    };
  });
  if (result.outcome === "decided") deps.signals.runEnqueued();
  return result;
}

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
