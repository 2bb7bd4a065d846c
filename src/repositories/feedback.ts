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
  idempotency_key?: string;
}

export interface FeedbackRow extends Required<
  Omit<NewFeedback, "review_id" | "idempotency_key" | "root_cause">
> {
  root_cause: string | null;
  feedback_id: string;
  review_id: string | null;
  idempotency_key: string | null;
  created_at: Date;
}

/** Inserts feedback; a second insert with the same review or idempotency key returns undefined. */
export async function insertFeedback(
  db: Queryable,
  f: NewFeedback,
): Promise<FeedbackRow | undefined> {
  const { rows } = await db.query<FeedbackRow>(
    `INSERT INTO feedback (thread_id, review_id, source, stage, decision_type, rating, reasons, comment,
       correction, instructions, chunk_ids, context, actor, idempotency_key, root_cause)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
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
    ],
  );
  return rows[0];
}

export async function findFeedbackByIdempotencyKey(
  db: Queryable,
  key: string,
): Promise<FeedbackRow | undefined> {
  const { rows } = await db.query<FeedbackRow>(
    "SELECT * FROM feedback WHERE idempotency_key = $1",
    [key],
  );
  return rows[0];
}
