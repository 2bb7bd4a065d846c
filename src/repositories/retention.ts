import type { Queryable } from "../db/database.js";

/**
 * Bounded deletes for retention (src/runs/retention.ts). Each function is one statement, so one
 * short transaction, that removes at most `limit` rows (threads, for checkpoints) found by an
 * index seek on the oldest eligible rows (migration 0005). Rows are locked with SKIP LOCKED:
 * a row someone else holds is left for a later pass instead of being waited for, so retention
 * never queues behind live work, and several workers may run it at once.
 */

/** Thread statuses after which nothing more runs on a thread. */
const TERMINAL_THREAD = `('completed', 'failed')`;

/**
 * Runs that finished (`succeeded`, or `failed` for good) before `before`, of threads that
 * finished too. Queued and running runs are never touched, whatever their age; nothing
 * references a run, so no foreign key is involved.
 */
export async function deleteFinishedRuns(
  db: Queryable,
  before: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM runs WHERE run_id IN (
       SELECT r.run_id FROM runs r JOIN threads t ON t.thread_id = r.thread_id
       WHERE r.status IN ('succeeded', 'failed') AND r.finished_at < $1
         AND t.status IN ${TERMINAL_THREAD}
       ORDER BY r.finished_at
       LIMIT $2
       FOR UPDATE OF r SKIP LOCKED)`,
    [before, limit],
  );
  return rowCount ?? 0;
}

export interface OutboxDeleted {
  outbox: number;
  webhook_deliveries: number;
}

/**
 * Webhook events delivered or given up before `before`, with their delivery attempts. The
 * attempts would go by ON DELETE CASCADE anyway; deleting them in the same statement counts them.
 * Pending events (neither delivered nor failed) are never touched.
 */
export async function deleteSettledOutbox(
  db: Queryable,
  before: Date,
  limit: number,
): Promise<OutboxDeleted> {
  const { rows } = await db.query<{ outbox: string; webhook_deliveries: string }>(
    `WITH doomed AS (
       SELECT event_id FROM outbox
       WHERE (delivered_at IS NOT NULL OR failed_at IS NOT NULL)
         AND coalesce(delivered_at, failed_at) < $1
       ORDER BY coalesce(delivered_at, failed_at)
       LIMIT $2
       FOR UPDATE SKIP LOCKED),
     deliveries AS (
       DELETE FROM webhook_deliveries d USING doomed WHERE d.event_id = doomed.event_id
       RETURNING 1),
     events AS (
       DELETE FROM outbox o USING doomed WHERE o.event_id = doomed.event_id
       RETURNING 1)
     SELECT (SELECT count(*) FROM events) AS outbox,
            (SELECT count(*) FROM deliveries) AS webhook_deliveries`,
    [before, limit],
  );
  return {
    outbox: Number(rows[0]?.outbox ?? 0),
    webhook_deliveries: Number(rows[0]?.webhook_deliveries ?? 0),
  };
}

/**
 * Audit events older than `before` of reviews decided before `before`, on threads that finished.
 * Requiring the decision to be old too means a review's trail goes as a whole, not its first
 * half while the review is still fresh.
 */
export async function deleteReviewEvents(
  db: Queryable,
  before: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM review_events WHERE event_id IN (
       SELECT e.event_id FROM review_events e
         JOIN reviews r ON r.review_id = e.review_id
         JOIN threads t ON t.thread_id = r.thread_id
       WHERE e.at < $1 AND r.status = 'decided' AND r.decided_at < $1
         AND t.status IN ${TERMINAL_THREAD}
       ORDER BY e.at
       LIMIT $2
       FOR UPDATE OF e SKIP LOCKED)`,
    [before, limit],
  );
  return rowCount ?? 0;
}

export interface CheckpointsPruned {
  threads: number;
  checkpoints: number;
  checkpoint_writes: number;
  checkpoint_blobs: number;
}

/**
 * Prunes the LangGraph checkpoints (the stock PostgresSaver tables) of up to `limit` threads that
 * completed before `before`, and marks them pruned so they are never looked at again.
 *
 * Per (thread_id, checkpoint_ns) it keeps the latest checkpoint, which is the one the saver's
 * getTuple() loads when no checkpoint id is given (`ORDER BY checkpoint_id DESC LIMIT 1`), plus
 * what that load reads: the writes of that checkpoint and the blobs its `channel_versions` name.
 * So `graph.getState()` returns the same values afterwards; only history is lost. Everything is
 * computed from one snapshot and deleted in one statement, so a thread is pruned entirely or not
 * at all.
 *
 * Only threads that completed with no run queued or running. A namespace whose latest checkpoint
 * predates format v4 keeps everything: the saver loads such a checkpoint's pending sends from its
 * parent's writes.
 */
export async function pruneCompletedCheckpoints(
  db: Queryable,
  before: Date,
  limit: number,
  now: Date,
): Promise<CheckpointsPruned> {
  const { rows } = await db.query<Record<keyof CheckpointsPruned, string>>(
    `WITH picked AS (
       SELECT t.thread_id FROM threads t
       WHERE t.status = 'completed' AND t.checkpoints_pruned_at IS NULL AND t.completed_at < $1
         AND NOT EXISTS (
           SELECT 1 FROM runs r
           WHERE r.thread_id = t.thread_id AND r.status IN ('queued', 'running'))
       ORDER BY t.completed_at
       LIMIT $2
       FOR UPDATE OF t SKIP LOCKED),
     ids AS (SELECT thread_id::text AS thread_id FROM picked),
     keep AS (
       SELECT DISTINCT ON (c.thread_id, c.checkpoint_ns)
         c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.checkpoint
       FROM checkpoints c JOIN ids ON ids.thread_id = c.thread_id
       ORDER BY c.thread_id, c.checkpoint_ns, c.checkpoint_id DESC),
     prunable AS (
       SELECT * FROM keep WHERE coalesce((checkpoint ->> 'v')::int, 0) >= 4),
     kept_blobs AS (
       SELECT k.thread_id, k.checkpoint_ns, v.key AS channel, v.value AS version
       FROM prunable k, jsonb_each_text(k.checkpoint -> 'channel_versions') v),
     del_checkpoints AS (
       DELETE FROM checkpoints c USING prunable k
       WHERE c.thread_id = k.thread_id AND c.checkpoint_ns = k.checkpoint_ns
         AND c.checkpoint_id <> k.checkpoint_id
       RETURNING 1),
     del_writes AS (
       DELETE FROM checkpoint_writes w USING prunable k
       WHERE w.thread_id = k.thread_id AND w.checkpoint_ns = k.checkpoint_ns
         AND w.checkpoint_id <> k.checkpoint_id
       RETURNING 1),
     del_blobs AS (
       DELETE FROM checkpoint_blobs b USING prunable k
       WHERE b.thread_id = k.thread_id AND b.checkpoint_ns = k.checkpoint_ns
         AND NOT EXISTS (
           SELECT 1 FROM kept_blobs kb
           WHERE kb.thread_id = b.thread_id AND kb.checkpoint_ns = b.checkpoint_ns
             AND kb.channel = b.channel AND kb.version = b.version)
       RETURNING 1),
     marked AS (
       UPDATE threads t SET checkpoints_pruned_at = $3 FROM picked p
       WHERE t.thread_id = p.thread_id
       RETURNING 1)
     SELECT (SELECT count(*) FROM marked) AS threads,
            (SELECT count(*) FROM del_checkpoints) AS checkpoints,
            (SELECT count(*) FROM del_writes) AS checkpoint_writes,
            (SELECT count(*) FROM del_blobs) AS checkpoint_blobs`,
    [before, limit, now],
  );
  const row = rows[0];
  return {
    threads: Number(row?.threads ?? 0),
    checkpoints: Number(row?.checkpoints ?? 0),
    checkpoint_writes: Number(row?.checkpoint_writes ?? 0),
    checkpoint_blobs: Number(row?.checkpoint_blobs ?? 0),
  };
}
