import { withTransaction, type Queryable } from "../../db/database.js";
import type { Decision } from "../../graph/decision.js";
import { decisionProblem } from "../../graph/decision-rules.js";
import type { ReviewCard } from "../../graph/review-card.js";
import { countKnownChunks } from "../../repositories/chunks.js";
import { insertFeedback, type NewFeedback } from "../../repositories/feedback.js";
import { appendReviewEvent } from "../../repositories/review-events.js";
import { insertVote, votesOf, withVote, type VoteRow } from "../../repositories/review-votes.js";
import { cardOf, markDecided, releaseClaim, type ReviewRow } from "../../repositories/reviews.js";
import {
  enqueueRun,
  type RunClaim,
  type RunRequest,
  type RunRow,
} from "../../repositories/runs.js";
import { setThreadStatus } from "../../repositories/threads.js";
import type { SignalWatch } from "../../runs/thread-events.js";
import { withHeldSlot } from "../../runs/held-slot.js";
import { ConflictError, InvalidInputError } from "../errors.js";
import type { Caller, ReviewServiceDeps } from "./deps.js";
import { escalate } from "./escalate.js";
import { alreadyDecided, claimedByOther, lockPendingReview } from "./pending-review.js";
import { liveClaim, toView, versionOf, type LiveClaim, type ReviewView } from "./views.js";
import { castVote } from "./voting.js";

export type DecisionOutcome = "decided" | "vote_recorded" | "escalated";

export interface DecisionResult {
  outcome: DecisionOutcome;
  review: ReviewView;
  thread_id: string;
  /** With `watchThread`: the thread's signals since before the resume run was queued. */
  watch?: SignalWatch;
}

export interface DecideOptions {
  /** The card version the reviewer saw; another version is refused with the fresh card. */
  version?: string;
  /** The SLA sweeper: not held to claims or approvals. */
  system?: boolean;
  /** A protocol client's run: the resume run gets its id, stream modes and metadata. */
  run?: RunRequest;
  /**
   * Watch the thread from before the decision commits (to wait for the resume run's end without
   * missing it); the caller closes `result.watch`.
   */
  watchThread?: boolean;
}

/**
 * Accepts a decision exactly once. In one transaction: lock the review row (a concurrent
 * decision waits here, then sees it decided and gets a conflict), check claim, version and
 * approvals, mark it decided, append the audit event, store the structured feedback, and enqueue
 * the resume run. Where policy wants several sign-offs the decision may only be a vote (see
 * castVote in voting.ts).
 */
export async function decide(
  deps: ReviewServiceDeps,
  reviewId: string,
  decision: Decision,
  caller: Caller,
  options: DecideOptions = {},
): Promise<DecisionResult> {
  const now = deps.now();
  let watch: SignalWatch | undefined;
  let resumed: RunRow | undefined;
  const decided = withHeldSlot(deps.localWorker, (slot) =>
    withTransaction(deps.pool, async (tx): Promise<DecisionResult> => {
      const review = await lockPendingReview(tx, reviewId);
      if (options.watchThread) watch = deps.signals.watchThread(review.thread_id);
      const votes = await votesOf(tx, reviewId);
      if (options.version !== undefined && options.version !== versionOf(review, votes)) {
        throw new ConflictError(
          "stale_version",
          "the review changed since you loaded it; here is the current card",
          { review: toView(review, votes, now) },
        );
      }
      const held = liveClaim(review, now);
      if (held && held.by !== caller.name && !caller.admin && !options.system)
        throw claimedByOther(held);
      await checkAllowed(tx, decision, cardOf(review));

      const verdict = castVote({
        stage: review.stage,
        decision,
        voter: { ...caller, system: options.system === true },
        approvalsRequired: review.approvals_required,
        votes,
      });
      if (verdict.verdict === "refused") throw new ConflictError(verdict.code, verdict.message);
      if (verdict.verdict === "vote") {
        const after = withVote(votes, await insertVote(tx, reviewId, caller.name, decision));
        await appendReviewEvent(tx, {
          review_id: reviewId,
          type: "voted",
          actor: caller.name,
          before: { approvals: votes.length },
          after: { decision, approvals: verdict.approvals, required: review.approvals_required },
        });
        let current = review;
        if (verdict.escalate) {
          current = (await escalate(tx, deps, review, now, verdict.escalate)) ?? review;
        }
        if (held?.by === caller.name) current = (await releaseClaim(tx, reviewId)) ?? current;
        return {
          outcome: verdict.escalate ? "escalated" : "vote_recorded",
          review: toView(current, after, now),
          thread_id: review.thread_id,
        };
      }
      const after = verdict.recordVote
        ? withVote(votes, await insertVote(tx, reviewId, caller.name, decision))
        : votes;
      const settled = await settle(tx, deps, review, after, decision, caller, held, now, {
        request: options.run,
        claim: slot.claim,
      });
      resumed = slot.enqueued = settled.run;
      return settled.result;
    }),
  );
  const result = await decided.catch((error: unknown) => {
    watch?.close();
    throw error;
  });
  // Claimed for this process's worker as it was queued: no other worker needs waking.
  if (resumed?.status === "queued") deps.signals.runEnqueued();
  return { ...result, watch };
}

/** What the card allows, and edited evidence that exists: refused as invalid otherwise. */
async function checkAllowed(tx: Queryable, decision: Decision, card: ReviewCard): Promise<void> {
  const problem = decisionProblem(decision, card);
  if (problem) throw new InvalidInputError("decision_not_allowed", problem);
  if (decision.type === "edit" && decision.chunk_ids) {
    const known = await countKnownChunks(tx, decision.chunk_ids);
    if (known !== new Set(decision.chunk_ids).size) {
      throw new InvalidInputError(
        "unknown_chunks",
        "some chunk_ids are not passages of the knowledge base",
      );
    }
  }
}

/** The final decision: mark it, audit it, keep it as feedback, and queue the thread's resume. */
async function settle(
  tx: Queryable,
  deps: ReviewServiceDeps,
  review: ReviewRow,
  /** Its votes, this decision's included: read under the review's lock, so still current. */
  votes: VoteRow[],
  decision: Decision,
  caller: Caller,
  held: LiveClaim | null,
  now: Date,
  run: { request: RunRequest | undefined; claim: RunClaim | undefined },
): Promise<{ result: DecisionResult; run: RunRow }> {
  const reviewId = review.review_id;
  const decided = await markDecided(tx, reviewId, decision, caller.name);
  if (!decided) throw alreadyDecided(review);
  await appendReviewEvent(tx, {
    review_id: reviewId,
    type: "decided",
    actor: caller.name,
    before: { status: review.status, claimed_by: held?.by ?? null },
    after: { status: decided.status, decision, approvals: votes.map((v) => v.actor) },
  });
  // The thread's row first: its lock keeps a concurrent decision on the same thread from
  // claiming its resume run too (enqueueRun's claim needs it).
  const thread = await setThreadStatus(tx, review.thread_id, "queued");
  const resume = await enqueueRun(
    tx,
    {
      thread_id: review.thread_id,
      kind: "resume",
      review_id: reviewId,
      max_attempts: deps.maxAttempts,
      request: run.request,
    },
    run.claim,
  );
  await insertFeedback(tx, decisionFeedback(review, decision, caller, thread?.metadata, votes));
  return {
    result: {
      outcome: "decided",
      review: toView(decided, votes, now),
      thread_id: review.thread_id,
    },
    run: resume,
  };
}

/** The decision as structured feedback, with what the reviewer was shown, for eval datasets. */
function decisionFeedback(
  review: ReviewRow,
  decision: Decision,
  caller: Caller,
  threadMetadata: Record<string, unknown> | undefined,
  votes: VoteRow[],
): NewFeedback {
  const card = cardOf(review);
  return {
    thread_id: review.thread_id,
    review_id: review.review_id,
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
      metadata: threadMetadata ?? {},
      review_created_at: review.created_at.toISOString(),
      first_claimed_at: review.first_claimed_at?.toISOString() ?? null,
      escalated_at: review.escalated_at?.toISOString() ?? null,
      approvals: votes.map((v) => v.actor),
    },
    actor: caller.name,
  };
}
