import type { Queryable } from "../db/database.js";
import type { Env } from "../env.js";
import {
  deleteFinishedRuns,
  deleteReviewEvents,
  deleteSettledOutbox,
  pruneCompletedCheckpoints,
} from "../repositories/retention.js";

/**
 * How long finished work is kept. Every age is in days and 0 means keep forever, so a policy
 * of all zeros deletes nothing. Threads, reviews and feedback are never deleted: they are the
 * answers, the decisions and the eval data.
 */
export interface RetentionPolicy {
  /** Finished runs (succeeded, or failed for good) of finished threads, after `finished_at`. */
  runsDays: number;
  /** Delivered or given-up webhook events and their delivery attempts, after they settled. */
  outboxDays: number;
  /** Checkpoints of completed threads, pruned to the last one per namespace, after completion. */
  checkpointsDays: number;
  /** The review audit trail, after the review was decided; 0 (the default) keeps it forever. */
  reviewEventsDays: number;
  /** Rows per delete statement, each its own short transaction. */
  batchSize: number;
  /** Batches per table per pass; what is left waits for the next pass. */
  maxBatches: number;
}

export function retentionPolicyFromEnv(env: Env): RetentionPolicy {
  return {
    runsDays: env.RETENTION_RUNS_DAYS,
    outboxDays: env.RETENTION_OUTBOX_DAYS,
    checkpointsDays: env.RETENTION_CHECKPOINTS_DAYS,
    reviewEventsDays: env.RETENTION_REVIEW_EVENTS_DAYS,
    batchSize: env.RETENTION_BATCH_SIZE,
    maxBatches: env.RETENTION_MAX_BATCHES,
  };
}

/** Rows deleted in one pass, per table; `threads_pruned` counts threads whose checkpoints went. */
export interface RetentionResult {
  runs: number;
  outbox: number;
  webhook_deliveries: number;
  review_events: number;
  checkpoints: number;
  checkpoint_writes: number;
  checkpoint_blobs: number;
  threads_pruned: number;
  /** Delete statements run. */
  batches: number;
  /**
   * Tables whose pass stopped at maxBatches after a full batch, so rows may be left for the next
   * pass. Seen pass after pass, it means raise the limits or run more often.
   */
  capped: string[];
}

/**
 * A completed thread holds about 50 checkpoint rows (measured with the offline provider: 7
 * checkpoints, 18 writes and 25 blobs for a thread answered without review; 88 rows with a
 * revision). Checkpoint batches take threads, as many as keep a batch near `batchSize` rows.
 */
const CHECKPOINT_ROWS_PER_THREAD = 50;

const DAY_MS = 86_400_000;

/** The moment before which rows may go, or undefined for "keep forever" (0 days). */
function cutoff(now: Date, days: number): Date | undefined {
  return days > 0 ? new Date(now.getTime() - days * DAY_MS) : undefined;
}

export function isRetentionEnabled(policy: RetentionPolicy): boolean {
  return (
    policy.runsDays > 0 ||
    policy.outboxDays > 0 ||
    policy.checkpointsDays > 0 ||
    policy.reviewEventsDays > 0
  );
}

export function nothingDeleted(result: RetentionResult): boolean {
  return (
    result.runs +
      result.outbox +
      result.webhook_deliveries +
      result.review_events +
      result.checkpoints +
      result.checkpoint_writes +
      result.checkpoint_blobs +
      result.threads_pruned ===
    0
  );
}

/**
 * One retention pass: for each kind of row, delete batches until one comes back short (nothing
 * eligible is left) or `maxBatches` ran. Each batch is one statement on its own, so the pass
 * never holds a connection or a lock between batches; on the embedded database (a pool of one)
 * other work runs in between. Ages are measured from `now`, so tests move time, not sleep.
 */
export async function runRetention(
  db: Queryable,
  policy: RetentionPolicy,
  now: Date = new Date(),
): Promise<RetentionResult> {
  const result: RetentionResult = {
    runs: 0,
    outbox: 0,
    webhook_deliveries: 0,
    review_events: 0,
    checkpoints: 0,
    checkpoint_writes: 0,
    checkpoint_blobs: 0,
    threads_pruned: 0,
    batches: 0,
    capped: [],
  };
  const batchSize = Math.max(1, Math.floor(policy.batchSize));

  /** Runs `batch` until it handles fewer than `limit` or the cap; `batch` returns how many it took. */
  const repeat = async (table: string, limit: number, batch: () => Promise<number>) => {
    for (let i = 0; i < policy.maxBatches; i++) {
      result.batches++;
      if ((await batch()) < limit) return;
    }
    result.capped.push(table);
  };

  const runsBefore = cutoff(now, policy.runsDays);
  if (runsBefore) {
    await repeat("runs", batchSize, async () => {
      const n = await deleteFinishedRuns(db, runsBefore, batchSize);
      result.runs += n;
      return n;
    });
  }

  const outboxBefore = cutoff(now, policy.outboxDays);
  if (outboxBefore) {
    await repeat("outbox", batchSize, async () => {
      const n = await deleteSettledOutbox(db, outboxBefore, batchSize);
      result.outbox += n.outbox;
      result.webhook_deliveries += n.webhook_deliveries;
      return n.outbox;
    });
  }

  const checkpointsBefore = cutoff(now, policy.checkpointsDays);
  if (checkpointsBefore) {
    const threads = Math.max(1, Math.floor(batchSize / CHECKPOINT_ROWS_PER_THREAD));
    await repeat("checkpoints", threads, async () => {
      const n = await pruneCompletedCheckpoints(db, checkpointsBefore, threads, now);
      result.threads_pruned += n.threads;
      result.checkpoints += n.checkpoints;
      result.checkpoint_writes += n.checkpoint_writes;
      result.checkpoint_blobs += n.checkpoint_blobs;
      return n.threads;
    });
  }

  const eventsBefore = cutoff(now, policy.reviewEventsDays);
  if (eventsBefore) {
    await repeat("review_events", batchSize, async () => {
      const n = await deleteReviewEvents(db, eventsBefore, batchSize);
      result.review_events += n;
      return n;
    });
  }

  return result;
}
