import { randomUUID } from "node:crypto";
import type pg from "pg";
import { withTransaction } from "../db/database.js";
import { enqueueRun, type RunRow } from "../repositories/runs.js";
import { threadWithReviews, type ReviewSummary } from "../repositories/reviews.js";
import {
  findThreadByIdempotencyKey,
  insertThread,
  type ThreadRow,
} from "../repositories/threads.js";
import type { RunSignals, SignalWatch } from "../runs/thread-events.js";
import { withHeldSlot, type LocalWorker } from "../runs/held-slot.js";
import { InvalidInputError, notFound } from "./errors.js";

export interface ThreadServiceDeps {
  pool: pg.Pool;
  signals: RunSignals;
  maxAttempts: number;
  /** This process's worker: a new thread's first run is claimed for it as it is enqueued. */
  localWorker?: LocalWorker;
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

/**
 * Creates the thread and its first run in one transaction, then wakes local workers. With `wait`
 * it answers once the thread paused for review or ended, or the wait is over.
 */
export async function startThread(
  deps: ThreadServiceDeps,
  input: {
    question: string;
    metadata: Record<string, unknown>;
    idempotencyKey?: string;
    /** The caller: its name is recorded, its id owns the thread. */
    caller: { id: string; name: string };
  },
  wait?: number,
): Promise<StartResult> {
  const threadId = randomUUID();
  // Watching before the run exists: its end cannot be signalled before anyone listens.
  const watch = wait ? deps.signals.watchThread(threadId) : undefined;
  let run: RunRow | undefined;
  try {
    const row = await withHeldSlot(deps.localWorker, (slot) =>
      withTransaction(deps.pool, async (tx) => {
        const inserted = await insertThread(tx, {
          thread_id: threadId,
          question: input.question,
          metadata: input.metadata,
          idempotency_key: input.idempotencyKey,
          created_by: input.caller.name,
          owner_id: input.caller.id,
        });
        if (inserted) {
          // A new thread: no other run can be claiming it.
          run = slot.enqueued = await enqueueRun(
            tx,
            {
              thread_id: threadId,
              kind: "start",
              max_attempts: deps.maxAttempts,
              // What the run asks the graph: the worker need not read the thread for it.
              input: { question: input.question, metadata: input.metadata },
            },
            slot.claim,
          );
          if (run.status === "running") inserted.status = "running";
        }
        return inserted;
      }),
    );
    if (row) {
      if (run?.status === "queued") deps.signals.runEnqueued();
      // Just made: queued, no review yet. Nothing to read back unless it is waited for.
      const thread = watch
        ? await waitWith(deps, watch, threadId, wait!, { knownUnsettled: true })
        : toView(row, []);
      return { thread, created: true };
    }
  } finally {
    watch?.close();
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
  const thread = wait
    ? await waitForThread(deps, earlier.thread_id, wait)
    : await getThread(deps.pool, earlier.thread_id);
  return { thread, created: false };
}

export async function getThread(pool: pg.Pool, threadId: string): Promise<ThreadView> {
  const found = await threadWithReviews(pool, threadId);
  if (!found) throw notFound("thread", threadId);
  return toView(found.thread, found.reviews);
}

/** Waits up to `seconds` for the thread to pause for review or end, then returns it as it is. */
export async function waitForThread(
  deps: Pick<ThreadServiceDeps, "pool" | "signals">,
  threadId: string,
  seconds: number,
  options: WaitOptions = {},
): Promise<ThreadView> {
  const watch = options.watch ?? deps.signals.watchThread(threadId);
  try {
    return await waitWith(deps, watch, threadId, seconds, options);
  } finally {
    if (!options.watch) watch.close();
  }
}

export interface WaitOptions {
  /** Watching since before the change that is waited for (the caller closes it). */
  watch?: SignalWatch;
  /** The caller just queued a run of the thread: the first look would only find it so. */
  knownUnsettled?: boolean;
  /** What ends the wait (default: paused for review, completed or failed). */
  until?: (status: ThreadRow["status"]) => boolean;
}

async function waitWith(
  deps: Pick<ThreadServiceDeps, "pool" | "signals">,
  watch: SignalWatch,
  threadId: string,
  seconds: number,
  options: WaitOptions,
): Promise<ThreadView> {
  const deadline = Date.now() + seconds * 1000;
  let skipLook = options.knownUnsettled === true;
  for (;;) {
    if (!skipLook) {
      const found = await threadWithReviews(deps.pool, threadId);
      if (!found) throw notFound("thread", threadId);
      if ((options.until ?? isSettled)(found.thread.status) || Date.now() >= deadline) {
        return toView(found.thread, found.reviews);
      }
    }
    skipLook = false;
    // Signalled at once by this process's workers and, over LISTEN, by other processes'; the
    // timeout is the fallback for a signal that cannot come (see RunSignals.pollMs).
    await watch.next(Math.max(0, Math.min(deadline - Date.now(), deps.signals.pollMs)));
  }
}

/** Waits until the thread has its final answer (or failed): what an end user waits for. */
export function waitForAnswer(
  deps: Pick<ThreadServiceDeps, "pool" | "signals">,
  threadId: string,
  seconds: number,
): Promise<ThreadView> {
  return waitForThread(deps, threadId, seconds, {
    until: (status) => status === "completed" || status === "failed",
  });
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
