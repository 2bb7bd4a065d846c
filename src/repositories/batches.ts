import type { Queryable } from "../db/database.js";
import { CHANNELS } from "../db/notifications.js";
import type { Provenance } from "../graph/state.js";
import type { Citation } from "../providers/types.js";
import { LANES } from "./runs.js";
import type { ThreadStatus } from "./threads.js";

export interface BatchRow {
  batch_id: string;
  owner_id: string;
  created_by: string;
  priority: number;
  metadata: Record<string, unknown>;
  idempotency_key: string | null;
  created_at: Date;
}

/** One question of a batch, as submitted. */
export interface BatchItem {
  /** Unique in its batch: the item's `id`, or its line number. */
  key: string;
  question: string;
  metadata: Record<string, unknown>;
}

export async function insertBatch(
  db: Queryable,
  batch: {
    owner_id: string;
    created_by: string;
    priority: number;
    metadata: Record<string, unknown>;
    idempotency_key?: string;
  },
): Promise<BatchRow | undefined> {
  const { rows } = await db.query<BatchRow>(
    `INSERT INTO batches (owner_id, created_by, priority, metadata, idempotency_key)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (owner_id, idempotency_key) DO NOTHING RETURNING *`,
    [
      batch.owner_id,
      batch.created_by,
      batch.priority,
      batch.metadata,
      batch.idempotency_key ?? null,
    ],
  );
  return rows[0];
}

export async function findBatch(db: Queryable, batchId: string): Promise<BatchRow | undefined> {
  const { rows } = await db.query<BatchRow>("SELECT * FROM batches WHERE batch_id = $1", [batchId]);
  return rows[0];
}

export async function findBatchByIdempotencyKey(
  db: Queryable,
  ownerId: string,
  key: string,
): Promise<BatchRow | undefined> {
  const { rows } = await db.query<BatchRow>(
    "SELECT * FROM batches WHERE owner_id = $1 AND idempotency_key = $2",
    [ownerId, key],
  );
  return rows[0];
}

/**
 * Starts a thread and queues a batch-lane run for every item the batch does not have yet, in one
 * statement whatever the number of items; items whose key it already has are left alone (a
 * resubmission starts nothing twice). One notification wakes the workers. Returns how many
 * threads it started.
 */
export async function insertBatchItems(
  db: Queryable,
  batch: Pick<BatchRow, "batch_id" | "owner_id" | "created_by" | "priority">,
  items: readonly BatchItem[],
  maxAttempts: number,
): Promise<number> {
  if (items.length === 0) return 0;
  const payload = items.map((item, position) => ({
    item_key: item.key,
    question: item.question,
    metadata: item.metadata,
    position: position + 1,
  }));
  const { rows } = await db.query<{ created: number }>(
    `WITH items AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb)
         AS i(item_key text, question text, metadata jsonb, position integer)),
     base AS (SELECT coalesce(max(item_ordinal), 0) AS n FROM threads WHERE batch_id = $1),
     started AS (
       INSERT INTO threads (thread_id, question, metadata, created_by, owner_id, batch_id, item_key,
         item_ordinal)
       SELECT gen_random_uuid(), i.question, i.metadata, $3, $4, $1, i.item_key, base.n + i.position
       FROM items i CROSS JOIN base ORDER BY i.position
       ON CONFLICT (batch_id, item_key) WHERE batch_id IS NOT NULL DO NOTHING
       RETURNING thread_id, item_ordinal),
     enqueued AS (
       INSERT INTO runs (thread_id, kind, max_attempts, lane, priority)
       SELECT thread_id, 'start', $5, ${LANES.batch}, $6 FROM started ORDER BY item_ordinal
       RETURNING run_id),
     counted AS (SELECT count(*)::int AS created FROM enqueued)
     SELECT created, CASE WHEN created > 0 THEN pg_notify('${CHANNELS.runs}', $1::text) END
     FROM counted`,
    [
      batch.batch_id,
      JSON.stringify(payload),
      batch.created_by,
      batch.owner_id,
      maxAttempts,
      batch.priority,
    ],
  );
  return rows[0]!.created;
}

/** The batch's threads by status, from threads_batch_status_idx. */
export async function batchStatusCounts(
  db: Queryable,
  batchId: string,
): Promise<Partial<Record<ThreadStatus, number>>> {
  const { rows } = await db.query<{ status: ThreadStatus; n: number }>(
    "SELECT status, count(*)::int AS n FROM threads WHERE batch_id = $1 GROUP BY status",
    [batchId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export interface BatchResultRow {
  thread_id: string;
  item_key: string;
  item_ordinal: number;
  status: ThreadStatus;
  question: string;
  metadata: Record<string, unknown>;
  answer: string | null;
  provenance: Provenance | null;
  answer_provider: string | null;
  citations: Citation[] | null;
  error: string | null;
  completed_at: Date | null;
}

/** Where a page of results ends: the next page starts after it. */
export interface ResultCursor {
  ordinal: number;
  threadId: string;
}

/** One page of the batch's threads in item order, after `after` (keyset: a seek per page). */
export async function batchResultsPage(
  db: Queryable,
  batchId: string,
  page: { after?: ResultCursor; limit: number; statuses?: readonly ThreadStatus[] },
): Promise<BatchResultRow[]> {
  const { rows } = await db.query<BatchResultRow>(
    `SELECT thread_id, item_key, item_ordinal, status, question, metadata, answer, provenance,
       answer_provider, citations, error, completed_at
     FROM threads
     WHERE batch_id = $1 AND (item_ordinal, thread_id) > ($2, $3::uuid)
       AND ($4::text[] IS NULL OR status = ANY($4))
     ORDER BY item_ordinal, thread_id LIMIT $5`,
    [
      batchId,
      page.after?.ordinal ?? -1,
      page.after?.threadId ?? "00000000-0000-0000-0000-000000000000",
      page.statuses ?? null,
      page.limit,
    ],
  );
  return rows;
}
