import type pg from "pg";
import { withTransaction } from "../db/database.js";
import {
  batchResultsPage,
  batchStatusCounts,
  findBatch,
  findBatchByIdempotencyKey,
  insertBatch,
  insertBatchItems,
  type BatchItem,
  type BatchResultRow,
  type BatchRow,
  type ResultCursor,
} from "../repositories/batches.js";
import type { ThreadStatus } from "../repositories/threads.js";
import type { ThreadServiceDeps } from "./threads.js";
import { notFound } from "./errors.js";

export type BatchServiceDeps = ThreadServiceDeps;

/** The states a batch's progress is reported in (an 'idle' thread cannot be in a batch). */
export const progressStates = [
  "queued",
  "running",
  "awaiting_review",
  "completed",
  "failed",
] as const;

export interface BatchView {
  batch_id: string;
  priority: number;
  metadata: Record<string, unknown>;
  created_by: string;
  created_at: string;
  /** Questions in the batch. */
  total: number;
  counts: Record<(typeof progressStates)[number], number>;
  /** Nothing is queued or running any more (awaiting review counts as settled). */
  settled: boolean;
}

export interface SubmitResult {
  batch: BatchView;
  /** False when an Idempotency-Key matched an earlier batch. */
  created: boolean;
  /** Items in this request. */
  submitted: number;
  /** Threads this request started: items the batch did not have yet. */
  started: number;
}

interface Caller {
  id: string;
  name: string;
}

/**
 * Creates a batch and starts a thread per item in one transaction (a few statements whatever the
 * number of items). A repeated Idempotency-Key finds the earlier batch and adds only the items
 * it lacks, so a retried or resumed submission never starts a question twice.
 */
export async function createBatch(
  deps: BatchServiceDeps,
  input: {
    items: readonly BatchItem[];
    priority: number;
    metadata: Record<string, unknown>;
    idempotencyKey?: string;
    caller: Caller;
  },
): Promise<SubmitResult> {
  const outcome = await withTransaction(deps.pool, async (tx) => {
    const inserted = await insertBatch(tx, {
      owner_id: input.caller.id,
      created_by: input.caller.name,
      priority: input.priority,
      metadata: input.metadata,
      idempotency_key: input.idempotencyKey,
    });
    const batch =
      inserted ?? (await findBatchByIdempotencyKey(tx, input.caller.id, input.idempotencyKey!))!;
    const started = await insertBatchItems(tx, batch, input.items, deps.maxAttempts);
    return { batch, created: inserted !== undefined, started };
  });
  if (outcome.started > 0) deps.signals.runEnqueued();
  return {
    batch: await viewOf(deps.pool, outcome.batch),
    created: outcome.created,
    submitted: input.items.length,
    started: outcome.started,
  };
}

/** Adds items to an existing batch; items whose id it already has are left alone. */
export async function addBatchItems(
  deps: BatchServiceDeps,
  batchId: string,
  items: readonly BatchItem[],
): Promise<SubmitResult> {
  const batch = await findBatch(deps.pool, batchId);
  if (!batch) throw notFound("batch", batchId);
  const started = await insertBatchItems(deps.pool, batch, items, deps.maxAttempts);
  if (started > 0) deps.signals.runEnqueued();
  return {
    batch: await viewOf(deps.pool, batch),
    created: false,
    submitted: items.length,
    started,
  };
}

export async function getBatch(pool: pg.Pool, batchId: string): Promise<BatchView> {
  const batch = await findBatch(pool, batchId);
  if (!batch) throw notFound("batch", batchId);
  return viewOf(pool, batch);
}

/** The key that created the batch; undefined when there is no such batch. */
export async function batchOwner(pool: pg.Pool, batchId: string): Promise<string | undefined> {
  return (await findBatch(pool, batchId))?.owner_id;
}

async function viewOf(pool: pg.Pool, batch: BatchRow): Promise<BatchView> {
  const byStatus = await batchStatusCounts(pool, batch.batch_id);
  const counts = Object.fromEntries(progressStates.map((s) => [s, byStatus[s] ?? 0])) as Record<
    (typeof progressStates)[number],
    number
  >;
  counts.queued += byStatus.idle ?? 0;
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  return {
    batch_id: batch.batch_id,
    priority: batch.priority,
    metadata: batch.metadata,
    created_by: batch.created_by,
    created_at: batch.created_at.toISOString(),
    total,
    counts,
    settled: counts.queued + counts.running === 0,
  };
}

/** One line of GET /batches/:id/results. */
export interface BatchResultLine {
  item_id: string;
  thread_id: string;
  status: ThreadStatus;
  question: string;
  metadata: Record<string, unknown>;
  answer: string | null;
  provenance: BatchResultRow["provenance"];
  answer_provider: string | null;
  citations: NonNullable<BatchResultRow["citations"]>;
  error: string | null;
  completed_at: string | null;
}

function toLine(row: BatchResultRow): BatchResultLine {
  return {
    item_id: row.item_key,
    thread_id: row.thread_id,
    status: row.status,
    question: row.question,
    metadata: row.metadata,
    answer: row.answer,
    provenance: row.provenance,
    answer_provider: row.answer_provider,
    citations: row.citations ?? [],
    error: row.error,
    completed_at: row.completed_at?.toISOString() ?? null,
  };
}

/**
 * The batch's results in item order, a page at a time (keyset: each page is one index seek, so
 * memory and time per page stay flat however large the batch).
 */
export async function* batchResults(
  pool: pg.Pool,
  batchId: string,
  options: { statuses?: readonly ThreadStatus[]; pageSize?: number } = {},
): AsyncGenerator<BatchResultLine> {
  const limit = options.pageSize ?? 500;
  let after: ResultCursor | undefined;
  for (;;) {
    const rows = await batchResultsPage(pool, batchId, {
      after,
      limit,
      statuses: options.statuses,
    });
    for (const row of rows) yield toLine(row);
    if (rows.length < limit) return;
    const last = rows[rows.length - 1]!;
    after = { ordinal: last.item_ordinal, threadId: last.thread_id };
  }
}
