import { randomUUID } from "node:crypto";
import type pg from "pg";
import { withTransaction } from "../db/database.js";
import { enqueueRun } from "../repositories/runs.js";
import { reviewsOfThread, type ReviewSummary } from "../repositories/reviews.js";
import {
  findThread,
  findThreadByIdempotencyKey,
  insertThread,
  type ThreadRow,
} from "../repositories/threads.js";
import type { RunSignals } from "../runs/thread-events.js";
import { InvalidInputError, notFound } from "./errors.js";

export interface ThreadServiceDeps {
  pool: pg.Pool;
  signals: RunSignals;
  maxAttempts: number;
}

export interface ThreadView {
  thread_id: string;
  status: ThreadRow["status"];
  question: string;
  metadata: Record<string, unknown>;
  risk_tier: string | null;
  answer: string | null;
  provenance: ThreadRow["provenance"];
  answer_provider: string | null;
  citations: ThreadRow["citations"];
  error: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  reviews: (Omit<ReviewSummary, "created_at" | "decided_at"> & {
    created_at: string;
    decided_at: string | null;
  })[];
}

const SETTLED = new Set(["awaiting_review", "completed", "failed"]);

export function isSettled(status: string): boolean {
  return SETTLED.has(status);
}

export interface StartResult {
  thread: ThreadView;
  /** False when an Idempotency-Key matched an earlier request. */
  created: boolean;
}

/** Creates the thread and its first run in one transaction, then wakes local workers. */
export async function startThread(
  deps: ThreadServiceDeps,
  input: {
    question: string;
    metadata: Record<string, unknown>;
    idempotencyKey?: string;
    /** The caller: its name is recorded, its id owns the thread. */
    caller: { id: string; name: string };
  },
): Promise<StartResult> {
  const threadId = randomUUID();
  const created = await withTransaction(deps.pool, async (tx) => {
    const row = await insertThread(tx, {
      thread_id: threadId,
      question: input.question,
      metadata: input.metadata,
      idempotency_key: input.idempotencyKey,
      created_by: input.caller.name,
      owner_id: input.caller.id,
    });
    if (!row) return false;
    await enqueueRun(tx, { thread_id: threadId, kind: "start", max_attempts: deps.maxAttempts });
    return true;
  });
  if (created) {
    deps.signals.runEnqueued();
    return { thread: await getThread(deps.pool, threadId), created };
  }
  const earlier = (await findThreadByIdempotencyKey(
    deps.pool,
    input.caller.id,
    input.idempotencyKey!,
  ))!;
  if (earlier.question !== input.question) {
    throw new InvalidInputError(
      "idempotency_key_reused",
      "this Idempotency-Key was used for a different question",
    );
  }
  return { thread: await getThread(deps.pool, earlier.thread_id), created };
}

export async function getThread(pool: pg.Pool, threadId: string): Promise<ThreadView> {
  const row = await findThread(pool, threadId);
  if (!row) throw notFound("thread", threadId);
  const reviews = await reviewsOfThread(pool, threadId);
  return toView(row, reviews);
}

/** Waits up to `seconds` for the thread to pause for review or end, then returns it as it is. */
export async function waitForThread(
  deps: Pick<ThreadServiceDeps, "pool" | "signals">,
  threadId: string,
  seconds: number,
): Promise<ThreadView> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const row = await findThread(deps.pool, threadId);
    if (!row) throw notFound("thread", threadId);
    const remaining = deadline - Date.now();
    if (isSettled(row.status) || remaining <= 0) {
      return toView(row, await reviewsOfThread(deps.pool, threadId));
    }
    // Local workers signal at once; other processes' work is seen by polling.
    await deps.signals.nextThreadChange(threadId, Math.min(remaining, 250));
  }
}

/**
 * Like waitForThread, but a thread paused for review is not an answer yet for an end user (the
 * demo page): waits on until it completes or fails, or time runs out.
 */
export async function waitForAnswer(
  deps: Pick<ThreadServiceDeps, "pool" | "signals">,
  threadId: string,
  seconds: number,
): Promise<ThreadView> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const remaining = deadline - Date.now();
    const view = await getThread(deps.pool, threadId);
    if (view.status === "completed" || view.status === "failed" || remaining <= 0) return view;
    await deps.signals.nextThreadChange(threadId, Math.min(remaining, 250));
  }
}

function toView(row: ThreadRow, reviews: ReviewSummary[]): ThreadView {
  return {
    thread_id: row.thread_id,
    status: row.status,
    question: row.question,
    metadata: row.metadata,
    risk_tier: row.risk_tier,
    answer: row.answer,
    provenance: row.provenance,
    answer_provider: row.answer_provider,
    citations: row.citations,
    error: row.error,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
    reviews: reviews.map((r) => ({
      ...r,
      created_at: r.created_at.toISOString(),
      decided_at: r.decided_at?.toISOString() ?? null,
    })),
  };
}
