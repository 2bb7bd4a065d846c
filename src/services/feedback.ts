import type pg from "pg";
import { findFeedbackByIdempotencyKey, insertFeedback } from "../repositories/feedback.js";
import { findThread } from "../repositories/threads.js";
import { ConflictError, notFound } from "./errors.js";

/** Why a finished answer was good or bad; the same words in the API, the exports and evals. */
export const feedbackReasons = [
  "correct",
  "helpful",
  "well_cited",
  "incorrect",
  "incomplete",
  "not_grounded",
  "wrong_citation",
  "outdated",
  "unsafe",
  "off_topic",
  "too_long",
  "unclear",
] as const;

/** The reasons in words, for people (the reviewer page's reject form). */
export const feedbackReasonLabels: Record<(typeof feedbackReasons)[number], string> = {
  correct: "Correct",
  helpful: "Helpful",
  well_cited: "Well cited",
  incorrect: "Incorrect",
  incomplete: "Incomplete",
  not_grounded: "Not grounded in the sources",
  wrong_citation: "Cites the wrong passage",
  outdated: "Outdated",
  unsafe: "Unsafe",
  off_topic: "Out of scope",
  too_long: "Too long",
  unclear: "Unclear",
};

export interface UserFeedback {
  /** 1 (very bad) … 5 (very good); a thumbs widget sends 1 or 5. */
  rating: number;
  reasons: (typeof feedbackReasons)[number][];
  comment?: string;
  /** What the answer should have said. */
  correction?: string;
}

export interface FeedbackResult {
  feedback_id: string;
  thread_id: string;
  created_at: string;
  /** False when an Idempotency-Key matched earlier feedback. */
  created: boolean;
}

/** Post-inference feedback on a completed thread, stored with what the user was shown. */
export async function recordUserFeedback(
  pool: pg.Pool,
  threadId: string,
  feedback: UserFeedback,
  /** The caller: its name is recorded as the actor, its key id scopes the idempotency key. */
  caller: { id: string; name: string },
  idempotencyKey?: string,
  /** How the caller was authorized: an API key, or the thread's feedback token (the widget). */
  channel: "api_key" | "feedback_token" = "api_key",
): Promise<FeedbackResult> {
  const thread = await findThread(pool, threadId);
  if (!thread) throw notFound("thread", threadId);
  if (thread.status !== "completed") {
    throw new ConflictError(
      "thread_not_completed",
      `thread ${threadId} is ${thread.status}; feedback is for finished answers`,
    );
  }
  const row = await insertFeedback(pool, {
    thread_id: threadId,
    source: "user",
    rating: feedback.rating,
    reasons: feedback.reasons,
    comment: feedback.comment,
    correction: feedback.correction,
    context: {
      question: thread.question,
      answer: thread.answer,
      provenance: thread.provenance,
      answer_provider: thread.answer_provider,
      citations: thread.citations,
      risk_tier: thread.risk_tier,
      metadata: thread.metadata,
      channel,
    },
    actor: caller.name,
    caller_id: caller.id,
    idempotency_key: idempotencyKey,
  });
  const stored =
    row ??
    (idempotencyKey
      ? await findFeedbackByIdempotencyKey(pool, caller.id, idempotencyKey)
      : undefined);
  if (!stored) throw new Error("feedback insert returned nothing");
  if (stored.thread_id !== threadId) {
    throw new ConflictError(
      "idempotency_key_reused",
      "this Idempotency-Key was used for another thread",
    );
  }
  return {
    feedback_id: stored.feedback_id,
    thread_id: threadId,
    created_at: stored.created_at.toISOString(),
    created: row !== undefined,
  };
}
