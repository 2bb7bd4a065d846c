import type { Queryable } from "../db/database.js";
import type { Citation } from "../providers/types.js";
import type { Provenance } from "../graph/state.js";

export const threadStatuses = [
  "idle",
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
  owner_id: string;
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
): Promise<Pick<ThreadRow, "metadata"> | undefined> {
  const { rows } = await db.query<Pick<ThreadRow, "metadata">>(
    `UPDATE threads SET status = $2, risk_tier = coalesce($3, risk_tier), error = $4, updated_at = now()
     WHERE thread_id = $1 RETURNING metadata`,
    [threadId, status, extra.risk_tier ?? null, extra.error ?? null],
  );
  return rows[0];
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
  /** What the gates saw and which threshold version gated the final step (migration 0011). */
  gate?: Record<string, unknown>,
): Promise<boolean> {
  // Only the first completion counts (a re-executed run must not announce it twice).
  const { rowCount } = await db.query(
    `UPDATE threads SET status = 'completed', answer = $2, provenance = $3, answer_provider = $4,
       citations = $5, risk_tier = coalesce($6, risk_tier), error = NULL, updated_at = now(),
       completed_at = now(), gate = $7
     WHERE thread_id = $1 AND status <> 'completed'`,
    [
      threadId,
      outcome.answer,
      outcome.provenance,
      outcome.answer_provider,
      JSON.stringify(outcome.citations),
      outcome.risk_tier,
      gate ? JSON.stringify(gate) : null,
    ],
  );
  return rowCount === 1;
}

/**
 * A thread without its question yet ('idle'), as the Agent Protocol creates them: the question
 * comes with the first run. Undefined when the id is taken.
 */
export async function insertIdleThread(
  db: Queryable,
  thread: {
    thread_id: string;
    metadata: Record<string, unknown>;
    created_by: string;
    owner_id: string;
  },
): Promise<ThreadRow | undefined> {
  const { rows } = await db.query<ThreadRow>(
    `INSERT INTO threads (thread_id, question, metadata, status, created_by, owner_id)
     VALUES ($1, '', $2, 'idle', $3, $4)
     ON CONFLICT (thread_id) DO NOTHING RETURNING *`,
    [thread.thread_id, thread.metadata, thread.created_by, thread.owner_id],
  );
  return rows[0];
}

/** Gives an idle thread its question and queues it; false when it was not idle. */
export async function queueIdleThread(
  db: Queryable,
  threadId: string,
  input: { question: string; metadata: Record<string, unknown> },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE threads SET question = $2, metadata = metadata || $3, status = 'queued', error = NULL,
       updated_at = now()
     WHERE thread_id = $1 AND status = 'idle'`,
    [threadId, input.question, input.metadata],
  );
  return rowCount === 1;
}

export interface ThreadSearch {
  statuses?: readonly ThreadStatus[];
  /** Threads whose metadata contains this object (jsonb @>). */
  metadata?: Record<string, unknown>;
  /** Mirrored columns that must equal these values. */
  columns?: Partial<Record<"question" | "answer" | "provenance" | "risk_tier", string>>;
  ids?: readonly string[];
  /** Only this key's threads (a client key sees its own). */
  ownerId?: string;
}

function searchWhere(search: ThreadSearch): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (search.statuses) add((p) => `status = ANY(${p})`, search.statuses);
  if (search.metadata) add((p) => `metadata @> ${p}`, search.metadata);
  if (search.ids) add((p) => `thread_id = ANY(${p}::uuid[])`, search.ids);
  if (search.ownerId !== undefined) add((p) => `owner_id = ${p}`, search.ownerId);
  for (const [column, value] of Object.entries(search.columns ?? {})) {
    add((p) => `${column} = ${p}`, value);
  }
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
}

export const threadSortColumns = ["thread_id", "status", "created_at", "updated_at"] as const;

export async function searchThreads(
  db: Queryable,
  search: ThreadSearch,
  page: {
    limit: number;
    offset: number;
    sortBy: (typeof threadSortColumns)[number];
    sortOrder: "asc" | "desc";
  },
): Promise<ThreadRow[]> {
  const { sql, params } = searchWhere(search);
  const order = page.sortOrder === "asc" ? "ASC" : "DESC";
  const { rows } = await db.query<ThreadRow>(
    `SELECT * FROM threads ${sql}
     ORDER BY ${page.sortBy} ${order}, thread_id ${order}
     LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, page.limit, page.offset],
  );
  return rows;
}

export async function countThreads(db: Queryable, search: ThreadSearch): Promise<number> {
  const { sql, params } = searchWhere(search);
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM threads ${sql}`,
    params,
  );
  return Number(rows[0]!.n);
}

/** Whether any review was ever raised on the thread (its decisions are the audit trail). */
export async function threadHasReviews(db: Queryable, threadId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM reviews WHERE thread_id = $1 LIMIT 1", [threadId]);
  return rows.length > 0;
}

/** Deletes the thread and its runs; its checkpoints are the checkpointer's to delete. */
/**
 * Deletes a thread that never went to review and has no run queued or running, in one
 * statement, so neither can appear between a check and the delete. False when it was kept.
 */
export async function deleteThreadRow(db: Queryable, threadId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `DELETE FROM threads t WHERE t.thread_id = $1
       AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.thread_id = t.thread_id)
       AND NOT EXISTS (SELECT 1 FROM runs u WHERE u.thread_id = t.thread_id
                       AND u.status IN ('queued', 'running'))`,
    [threadId],
  );
  return rowCount === 1;
}
