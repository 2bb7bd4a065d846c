import type { Queryable } from "../db/database.js";
import type { WebhookEventType } from "../webhooks/events.js";

/** An outbox row as the deliverer reads it. */
export interface OutboxRow {
  event_id: string;
  event_type: WebhookEventType;
  payload: Record<string, unknown>;
  created_at: Date;
  attempts: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  failed_at: Date | null;
  last_error: string | null;
  locked_until: Date | null;
}

export async function insertOutboxEvent(
  db: Queryable,
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<void> {
  // Stringified on purpose: node-postgres would turn a top-level array into a Postgres array.
  await db.query("INSERT INTO outbox (event_type, payload) VALUES ($1, $2::jsonb)", [
    type,
    JSON.stringify(data),
  ]);
}

/**
 * Leases the oldest due event that nobody else holds until `lockedUntil`; `FOR UPDATE SKIP
 * LOCKED` keeps two deliverers from taking the same one.
 */
export async function claimDueEvent(
  db: Queryable,
  now: Date,
  lockedUntil: Date,
): Promise<OutboxRow | undefined> {
  const { rows } = await db.query<OutboxRow>(
    `UPDATE outbox SET locked_until = $2
     WHERE event_id = (
       SELECT event_id FROM outbox
       WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
         AND (locked_until IS NULL OR locked_until <= $1)
       ORDER BY event_id
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [now, lockedUntil],
  );
  return rows[0];
}

/** One POST to the receiver, as webhook_deliveries records it. */
export interface DeliveryAttempt {
  event_id: string;
  url: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** Records a 2xx attempt and marks the event delivered, in one statement. */
export async function recordDelivered(
  db: Queryable,
  attempt: Omit<DeliveryAttempt, "error">,
  at: Date,
): Promise<void> {
  await db.query(
    `WITH attempt AS (
       INSERT INTO webhook_deliveries (event_id, url, attempt, status_code, duration_ms)
       VALUES ($1, $2, $3, $4, $5))
     UPDATE outbox SET delivered_at = coalesce(delivered_at, $6), attempts = attempts + 1,
       last_error = NULL, locked_until = NULL
     WHERE event_id = $1`,
    [attempt.event_id, attempt.url, attempt.attempt, attempt.status_code, attempt.duration_ms, at],
  );
}

export interface FailedAttemptUpdate {
  /** What the operator reads in outbox.last_error. */
  lastError: string;
  /** The attempt that uses up this many gives the event up. */
  maxAttempts: number;
  now: Date;
  nextAttemptAt: Date;
  /** The lease the deliverer took the event with: only its holder may record the result. */
  lockedUntil: Date | null;
}

/**
 * Records a failed attempt and schedules the next one, or gives the event up after its last.
 * Undefined when the event is no longer this deliverer's; otherwise whether it was given up.
 */
export async function recordFailedAttempt(
  db: Queryable,
  attempt: DeliveryAttempt,
  update: FailedAttemptUpdate,
): Promise<{ gave_up: boolean } | undefined> {
  const { rows } = await db.query<{ gave_up: boolean }>(
    `WITH attempt AS (
       INSERT INTO webhook_deliveries (event_id, url, attempt, status_code, error, duration_ms)
       VALUES ($1, $2, $3, $4, $5, $6))
     UPDATE outbox SET attempts = attempts + 1, last_error = $7, locked_until = NULL,
       failed_at = CASE WHEN attempts + 1 >= $8 THEN $9::timestamptz END,
       next_attempt_at = CASE WHEN attempts + 1 >= $8 THEN next_attempt_at ELSE $10::timestamptz END
     WHERE event_id = $1 AND delivered_at IS NULL
       -- Only while this deliverer still holds the event: after its lease ran out another one
       -- may be sending it, and must not have its lock cleared or the event failed under it.
       AND locked_until IS NOT DISTINCT FROM $11::timestamptz
     RETURNING failed_at IS NOT NULL AS gave_up`,
    [
      attempt.event_id,
      attempt.url,
      attempt.attempt,
      attempt.status_code,
      attempt.error,
      attempt.duration_ms,
      update.lastError,
      update.maxAttempts,
      update.now,
      update.nextAttemptAt,
      update.lockedUntil,
    ],
  );
  return rows[0];
}
