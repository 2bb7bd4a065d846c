import type { Queryable } from "../db/database.js";
import type { Citation } from "../providers/types.js";
import type { Provenance } from "../graph/state.js";

export const threadStatuses = [
  "queued",
  "running",
  "awaiting_review",
  "completed",
  "failed",
] as const;
export type ThreadStatus = (typeof threadStatuses)[number];

export interface ThreadRow {
  thread_id: string;
  question: string;
  metadata: Record<string, unknown>;
  status: ThreadStatus;
  risk_tier: string | null;
  answer: string | null;
  provenance: Provenance | null;
  answer_provider: string | null;
  citations: Citation[] | null;
  error: string | null;
  idempotency_key: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export async function insertThread(
  db: Queryable,
  thread: {
    thread_id: string;
    question: string;
    metadata: Record<string, unknown>;
    idempotency_key?: string;
    created_by: string;
    owner_id: string;
  },
): Promise<ThreadRow | undefined> {
  const { rows } = await db.query<ThreadRow>(
    `INSERT INTO threads (thread_id, question, metadata, idempotency_key, created_by, owner_id)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (owner_id, idempotency_key) DO NOTHING RETURNING *`,
    [
      thread.thread_id,
      thread.question,
      thread.metadata,
      thread.idempotency_key ?? null,
      thread.created_by,
      thread.owner_id,
    ],
  );
  return rows[0];
}

export async function findThread(db: Queryable, threadId: string): Promise<ThreadRow | undefined> {
  const { rows } = await db.query<ThreadRow>("SELECT * FROM threads WHERE thread_id = $1", [
    threadId,
  ]);
  return rows[0];
}

/** The id of the key that started the thread; undefined when there is no such thread. */
export async function threadOwner(db: Queryable, threadId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ owner_id: string }>(
    "SELECT owner_id FROM threads WHERE thread_id = $1",
    [threadId],
  );
  return rows[0]?.owner_id;
}

export async function findThreadByIdempotencyKey(
  db: Queryable,
  ownerId: string,
  key: string,
): Promise<ThreadRow | undefined> {
  const { rows } = await db.query<ThreadRow>(
    "SELECT * FROM threads WHERE owner_id = $1 AND idempotency_key = $2",
    [ownerId, key],
  );
  return rows[0];
}

export async function setThreadStatus(
  db: Queryable,
  threadId: string,
  status: ThreadStatus,
  extra: { risk_tier?: string | null; error?: string | null } = {},
): Promise<void> {
  await db.query(
    `UPDATE threads SET status = $2, risk_tier = coalesce($3, risk_tier), error = $4, updated_at = now()
     WHERE thread_id = $1`,
    [threadId, status, extra.risk_tier ?? null, extra.error ?? null],
  );
}

export async function completeThread(
  db: Queryable,
  threadId: string,
  outcome: {
    answer: string;
    provenance: Provenance;
    answer_provider: string;
    citations: Citation[];
    risk_tier: string | null;
  },
): Promise<boolean> {
  // Only the first completion counts (a re-executed run must not announce it twice).
  const { rowCount } = await db.query(
    `UPDATE threads SET status = 'completed', answer = $2, provenance = $3, answer_provider = $4,
       citations = $5, risk_tier = coalesce($6, risk_tier), error = NULL, updated_at = now(),
       completed_at = now()
     WHERE thread_id = $1 AND status <> 'completed'`,
    [
      threadId,
      outcome.answer,
      outcome.provenance,
      outcome.answer_provider,
      JSON.stringify(outcome.citations),
      outcome.risk_tier,
    ],
  );
  return rowCount === 1;
}
