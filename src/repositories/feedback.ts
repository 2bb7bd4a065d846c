import type { Queryable } from "../db/database.js";

export interface NewFeedback {
  thread_id: string;
  review_id?: string;
  source: "review" | "user";
  stage?: string;
  decision_type?: string;
  rating?: number;
  reasons: string[];
  comment?: string;
  correction?: string;
  instructions?: string;
  chunk_ids?: string[];
  root_cause?: string;
  context: Record<string, unknown>;
  actor: string;
  /** The caller's key id; with idempotency_key, what makes a repeated request recognisable. */
  caller_id?: string;
  idempotency_key?: string;
}

export interface FeedbackRow extends Required<
  Omit<NewFeedback, "review_id" | "idempotency_key" | "root_cause" | "caller_id">
> {
  caller_id: string | null;
  root_cause: string | null;
  feedback_id: string;
  review_id: string | null;
  idempotency_key: string | null;
  created_at: Date;
}

/**
 * Inserts feedback; a second insert for the same review, or with the same caller and
 * idempotency key, returns undefined.
 */
export async function insertFeedback(
  db: Queryable,
  f: NewFeedback,
): Promise<FeedbackRow | undefined> {
  const { rows } = await db.query<FeedbackRow>(
    `INSERT INTO feedback (thread_id, review_id, source, stage, decision_type, rating, reasons, comment,
       correction, instructions, chunk_ids, context, actor, idempotency_key, root_cause, caller_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ON CONFLICT DO NOTHING RETURNING *`,
    [
      f.thread_id,
      f.review_id ?? null,
      f.source,
      f.stage ?? null,
      f.decision_type ?? null,
      f.rating ?? null,
      f.reasons,
      f.comment ?? null,
      f.correction ?? null,
      f.instructions ?? null,
      f.chunk_ids ?? null,
      f.context,
      f.actor,
      f.idempotency_key ?? null,
      f.root_cause ?? null,
      f.caller_id ?? null,
    ],
  );
  return rows[0];
}

export async function findFeedbackByIdempotencyKey(
  db: Queryable,
  callerId: string,
  key: string,
): Promise<FeedbackRow | undefined> {
  const { rows } = await db.query<FeedbackRow>(
    "SELECT * FROM feedback WHERE caller_id = $1 AND idempotency_key = $2",
    [callerId, key],
  );
  return rows[0];
}
