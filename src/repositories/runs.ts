import type { Queryable } from "../db/database.js";
import { CHANNELS } from "../db/notifications.js";

/**
 * Wraps a statement `RETURNING run_id, thread_id` so the same statement notifies that the run
 * ended: streams of the run and `?wait=` on its thread wake in every process once it commits.
 * One notification per changed row; none when nothing changed (a lost lease).
 */
const notifyingRunEnded = (statement: string) =>
  `WITH ended AS (${statement})
   SELECT pg_notify('${CHANNELS.runEvents}', run_id::text),
     pg_notify('${CHANNELS.threads}', thread_id::text)
   FROM ended`;

export type RunKind = "start" | "resume";

export interface RunRow {
  run_id: string;
  thread_id: string;
  kind: RunKind;
  review_id: string | null;
  status: "queued" | "running" | "succeeded" | "failed";
  attempts: number;
  max_attempts: number;
  worker_id: string | null;
  lease_until: Date | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  /** The stream modes its protocol client asked for; null when nobody streams it. */
  stream_modes: string[] | null;
  /** The protocol client's run metadata (signoff's own API sets none). */
  metadata: Record<string, unknown>;
  /** The run's own graph settings, `{settings: {...}}` (the graph's context schema). */
  context: Record<string, unknown> | null;
  /** The graph input a protocol client sent (`{question}` or `{messages}`), passed as it is. */
  input: Record<string, unknown> | null;
  /** Set when a client cancelled it (it is then 'failed' for good). */
  cancelled_at: Date | null;
  /** Scheduling class: 0 interactive, 1 batch (claimed only when no interactive run is due). */
  lane: RunLane;
  /** Within the batch lane, higher first (the batch's priority). */
  priority: number;
}

/** Interactive runs (a caller or a reviewer is waiting) go before every batch run. */
export const LANES = { interactive: 0, batch: 1 } as const;
export type RunLane = (typeof LANES)[keyof typeof LANES];

/** What a protocol client asked of the run it created (src/protocol). */
export interface RunRequest {
  run_id: string;
  stream_modes: string[] | null;
  metadata: Record<string, unknown>;
  context?: Record<string, unknown> | null;
  input?: Record<string, unknown> | null;
}

/** A worker of this process that takes the run as it is enqueued, if the thread has no other. */
export interface RunClaim {
  worker_id: string;
  lease_seconds: number;
}

/**
 * Queues a run; with `claim`, the run is leased to that worker in the same statement (no claim
 * round trip, no wake-up) unless another run of the thread is queued or running, when it queues
 * as usual. A claim needs the thread to be new, or its row locked by the caller's transaction,
 * so that two enqueues for one thread cannot both find it free. Returns the run's row.
 */
export async function enqueueRun(
  db: Queryable,
  run: {
    thread_id: string;
    kind: RunKind;
    review_id?: string;
    max_attempts: number;
    request?: RunRequest;
    /** The graph input, when not the protocol client's (`request.input`). */
    input?: Record<string, unknown>;
  },
  claim?: RunClaim,
): Promise<RunRow> {
  // The notification wakes workers in every process once the enqueuing transaction commits; a
  // run claimed here needs no other worker.
  const { rows } = await db.query<RunRow>(
    `WITH free AS (
       SELECT $10::text IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM runs o WHERE o.thread_id = $2
           AND (o.status IN ('queued', 'running')
                OR (o.cancelled_at IS NOT NULL AND o.lease_until > now()))) AS claimed),
     enqueued AS (
       INSERT INTO runs (run_id, thread_id, kind, review_id, max_attempts, stream_modes, metadata,
         context, input, status, worker_id, attempts, lease_until, started_at)
       SELECT coalesce($1, gen_random_uuid()), $2, $3, $4, $5, $6, coalesce($7::jsonb, '{}'), $8,
         $9, CASE WHEN claimed THEN 'running' ELSE 'queued' END, CASE WHEN claimed THEN $10 END,
         CASE WHEN claimed THEN 1 ELSE 0 END,
         CASE WHEN claimed THEN now() + make_interval(secs => $11) END,
         CASE WHEN claimed THEN now() END
       FROM free
       RETURNING *),
     marked AS (
       UPDATE threads t SET status = 'running', updated_at = now() FROM enqueued e
       WHERE e.status = 'running' AND t.thread_id = e.thread_id AND t.status <> 'completed')
     SELECT e.*, CASE WHEN e.status = 'queued' THEN pg_notify('${CHANNELS.runs}', e.run_id::text)
       END AS notified
     FROM enqueued e`,
    [
      run.request?.run_id ?? null,
      run.thread_id,
      run.kind,
      run.review_id ?? null,
      run.max_attempts,
      run.request?.stream_modes ?? null,
      run.request?.metadata ?? null,
      run.request?.context ?? null,
      run.input ?? run.request?.input ?? null,
      claim?.worker_id ?? null,
      claim?.lease_seconds ?? 0,
    ],
  );
  const { notified: _, ...row } = rows[0]! as RunRow & { notified: unknown };
  return row;
}

/**
 * A run that has nothing to do, finished as it is recorded: a protocol resume that was only one
 * of several approvals a review needs still answers with a run, as the protocol expects.
 */
export async function insertFinishedRun(
  db: Queryable,
  run: { thread_id: string; review_id: string; request: RunRequest },
): Promise<void> {
  await db.query(
    `INSERT INTO runs (run_id, thread_id, kind, review_id, status, max_attempts, stream_modes,
       metadata, started_at, finished_at)
     VALUES ($1, $2, 'resume', $3, 'succeeded', 1, $4, $5, now(), now())`,
    [
      run.request.run_id,
      run.thread_id,
      run.review_id,
      run.request.stream_modes,
      run.request.metadata,
    ],
  );
}

export async function findRun(db: Queryable, runId: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>("SELECT * FROM runs WHERE run_id = $1", [runId]);
  return rows[0];
}

/** A thread's runs, newest first. */
export async function runsOfThread(
  db: Queryable,
  threadId: string,
  page: { limit: number; offset: number; statuses?: readonly string[]; cancelled?: boolean },
): Promise<RunRow[]> {
  const { rows } = await db.query<RunRow>(
    `SELECT * FROM runs WHERE thread_id = $1 AND ($2::text[] IS NULL OR status = ANY($2))
       AND ($5::boolean IS NULL OR (cancelled_at IS NOT NULL) = $5)
     ORDER BY created_at DESC, run_id DESC LIMIT $3 OFFSET $4`,
    [threadId, page.statuses ?? null, page.limit, page.offset, page.cancelled ?? null],
  );
  return rows;
}

/** Whether the thread has a run queued or running. */
export async function hasActiveRun(db: Queryable, threadId: string): Promise<boolean> {
  const { rows } = await db.query(
    "SELECT 1 FROM runs WHERE thread_id = $1 AND status IN ('queued', 'running') LIMIT 1",
    [threadId],
  );
  return rows.length > 0;
}

/**
 * Cancels a queued or running run: it fails for good. A worker executing it loses its lease
 * (every write it makes checks the run is still running under its attempt), stops at its next
 * heartbeat and writes nothing more. Undefined when the run had already finished.
 */
export async function cancelRun(db: Queryable, runId: string): Promise<RunRow | undefined> {
  // The lateral notify adds no column to the row (the caller gets a plain RunRow).
  const { rows } = await db.query<RunRow>(
    `WITH cancelled AS (
       UPDATE runs SET status = 'failed', error = 'cancelled', cancelled_at = now(),
         finished_at = now(),
         -- A running one keeps its worker's lease: the thread's next run waits for that worker.
         lease_until = CASE WHEN status = 'running' THEN lease_until END
       WHERE run_id = $1 AND status IN ('queued', 'running') RETURNING *)
     SELECT cancelled.* FROM cancelled
     CROSS JOIN LATERAL (SELECT pg_notify('${CHANNELS.runEvents}', cancelled.run_id::text),
       pg_notify('${CHANNELS.threads}', cancelled.thread_id::text)) AS notified`,
    [runId],
  );
  return rows[0];
}

/**
 * Leases the next runnable run: queued and due, or running with a lease that ran out (its worker
 * died). Interactive runs first, then batch runs by their batch's priority, each oldest first
 * (runs_claim_idx is this order); `interactiveOnly` leaves batch runs where they are (the
 * worker's batch slots are full). Runs of one thread go one at a time, oldest first. The outer
 * WHERE is checked again on the row's latest version, so two workers racing for one run cannot
 * both win.
 */
export async function claimRun(
  db: Queryable,
  workerId: string,
  leaseSeconds: number,
  options: { interactiveOnly?: boolean } = {},
): Promise<RunRow | undefined> {
  // A literal, not a parameter: the planner then seeks to the interactive range of the index.
  const lane = options.interactiveOnly ? `AND r.lane = ${LANES.interactive}` : "";
  const { rows } = await db.query<RunRow>(
    `WITH claimed AS (
     UPDATE runs SET status = 'running', worker_id = $1, attempts = attempts + 1,
       lease_until = now() + make_interval(secs => $2), started_at = coalesce(started_at, now())
     WHERE run_id = (
       SELECT r.run_id FROM runs r
       WHERE ((r.status = 'queued' AND r.available_at <= now())
              OR (r.status = 'running' AND r.lease_until < now()))
         ${lane}
         AND NOT EXISTS (
           SELECT 1 FROM runs o
           WHERE o.thread_id = r.thread_id AND (o.created_at, o.run_id) < (r.created_at, r.run_id)
             AND (o.status IN ('queued', 'running')
                  -- Cancelled while running: its worker may write checkpoints until it stops,
                  -- at the latest when its lease runs out.
                  OR (o.cancelled_at IS NOT NULL AND o.lease_until > now())))
       ORDER BY r.lane, (-r.priority), r.created_at, r.run_id
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
       AND (status = 'queued' OR lease_until < now())
     RETURNING *),
     marked AS (
       UPDATE threads t SET status = 'running', updated_at = now() FROM claimed
       WHERE t.thread_id = claimed.thread_id AND t.status <> 'completed')
     SELECT * FROM claimed`,
    [workerId, leaseSeconds],
  );
  return rows[0];
}

/**
 * A worker's hold on a run: the worker and the attempt number it claimed. Every write checks
 * both, so a worker whose lease ran out (and whose run was taken over, even by itself) can no
 * longer renew, finish or fail it: the attempt is the fencing token.
 */
export interface Lease {
  runId: string;
  workerId: string;
  attempt: number;
}

export function leaseOf(run: RunRow): Lease {
  return { runId: run.run_id, workerId: run.worker_id ?? "", attempt: run.attempts };
}

/** Extends the lease while the worker still owns the run; false means it lost it. */
export async function renewLease(
  db: Queryable,
  lease: Lease,
  leaseSeconds: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE runs SET lease_until = now() + make_interval(secs => $4)
     WHERE run_id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running' AND lease_until >= now()`,
    [lease.runId, lease.workerId, lease.attempt, leaseSeconds],
  );
  return rowCount === 1;
}

/**
 * The worker of a cancelled run has stopped: the lease it kept goes, so the thread's next run
 * can start (and workers everywhere are told).
 */
export async function releaseCancelledRun(db: Queryable, lease: Lease): Promise<void> {
  await db.query(
    `WITH released AS (
       UPDATE runs SET lease_until = NULL
       WHERE run_id = $1 AND worker_id = $2 AND attempts = $3 AND cancelled_at IS NOT NULL
       RETURNING run_id)
     SELECT pg_notify('${CHANNELS.runs}', run_id::text) FROM released`,
    [lease.runId, lease.workerId, lease.attempt],
  );
}

export async function finishRun(
  db: Queryable,
  lease: Lease,
  /**
   * The threshold version that gated the run (null: the environment's) and the pair it used; the
   * prompt template versions it ran (null: the built-in text).
   */
  gate?: {
    version_id: string | null;
    thresholds: { retrieval: number; judge: number };
    prompt_version_ids?: { generator: string | null; judge: string | null };
  },
): Promise<boolean> {
  const { rowCount } = await db.query(
    notifyingRunEnded(
      `UPDATE runs SET status = 'succeeded', finished_at = now(), lease_until = NULL, error = NULL,
         threshold_version_id = $4, thresholds = $5, generator_prompt_version_id = $6,
         judge_prompt_version_id = $7
       WHERE run_id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
       RETURNING run_id, thread_id`,
    ),
    [
      lease.runId,
      lease.workerId,
      lease.attempt,
      gate?.version_id ?? null,
      gate ? JSON.stringify(gate.thresholds) : null,
      gate?.prompt_version_ids?.generator ?? null,
      gate?.prompt_version_ids?.judge ?? null,
    ],
  );
  return rowCount === 1;
}

/**
 * Puts a failed run back in the queue after `retryInSeconds`, or fails it for good (null).
 * `refundAttempt` gives the attempt back (the failure was the database's, not the run's) by
 * allowing one more, not by lowering the count, which stays the lease's fencing token. Bounded,
 * so a run that somehow always "loses the database" still ends.
 */
export async function failRun(
  db: Queryable,
  lease: Lease,
  error: string,
  retryInSeconds: number | null,
  options: { refundAttempt?: boolean } = {},
): Promise<boolean> {
  // Notified either way, as the worker signals locally: the attempt ended and the thread moved.
  const { rowCount } = await db.query(
    notifyingRunEnded(
      retryInSeconds === null
        ? `UPDATE runs SET status = 'failed', finished_at = now(), lease_until = NULL, error = $4
           WHERE run_id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
           RETURNING run_id, thread_id`
        : `UPDATE runs SET status = 'queued', lease_until = NULL, error = $4,
             available_at = now() + make_interval(secs => $5),
             max_attempts = CASE WHEN $6 THEN least(max_attempts + 1, 100) ELSE max_attempts END
           WHERE run_id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
           RETURNING run_id, thread_id`,
    ),
    retryInSeconds === null
      ? [lease.runId, lease.workerId, lease.attempt, error]
      : [
          lease.runId,
          lease.workerId,
          lease.attempt,
          error,
          retryInSeconds,
          options.refundAttempt === true,
        ],
  );
  return rowCount === 1;
}
