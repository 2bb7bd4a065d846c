-- Batch jobs (issue 12): many threads started at once through the run queue, without starving
-- interactive traffic.

-- One row per batch; its progress is counted from its threads (threads_batch_status_idx), so
-- there are no counters to keep in step with the threads' statuses.
CREATE TABLE batches (
  batch_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The key that created it owns it (a client key sees only its own batches, as with threads).
  owner_id text NOT NULL,
  created_by text NOT NULL,
  -- Between batches: higher first. Any batch run still comes after every interactive run.
  priority integer NOT NULL DEFAULT 50 CHECK (priority BETWEEN 0 AND 100),
  metadata jsonb NOT NULL DEFAULT '{}',
  -- A retried POST /batches with the same Idempotency-Key returns this batch.
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT batches_owner_idempotency_key UNIQUE (owner_id, idempotency_key)
);

-- A batch's thread: which batch, the item's key (its `id`, or its line number) and its position.
-- (batch_id, item_key) is unique, so the same line submitted again (the CLI resuming, a retried
-- request) finds its thread instead of starting a second one.
ALTER TABLE threads ADD COLUMN batch_id uuid REFERENCES batches;
ALTER TABLE threads ADD COLUMN item_key text;
ALTER TABLE threads ADD COLUMN item_ordinal integer;
CREATE UNIQUE INDEX threads_batch_item_idx ON threads (batch_id, item_key)
  WHERE batch_id IS NOT NULL;
-- GET /batches/:id counts by status from the index alone; /results pages in item order.
CREATE INDEX threads_batch_status_idx ON threads (batch_id, status) WHERE batch_id IS NOT NULL;
CREATE INDEX threads_batch_order_idx ON threads (batch_id, item_ordinal, thread_id)
  WHERE batch_id IS NOT NULL;

-- The run's scheduling class: 0 interactive (a caller is waiting: POST /threads, a reviewer's
-- decision, the Agent Protocol), 1 batch. Workers claim by (lane, -priority, created_at), so any
-- interactive run goes before every batch run, and batches by their priority, then oldest first.
-- Constant defaults: adding the columns rewrites nothing.
ALTER TABLE runs ADD COLUMN lane smallint NOT NULL DEFAULT 0 CHECK (lane IN (0, 1));
ALTER TABLE runs ADD COLUMN priority smallint NOT NULL DEFAULT 0;
-- The claim's order as an index over the same rows as runs_pending_idx, which it replaces: the
-- claim reads it in order and stops at the first runnable run, also under 10,000 queued batch
-- runs; with `lane = 0` (batch slots full) it seeks to the interactive range alone.
DROP INDEX runs_pending_idx;
CREATE INDEX runs_claim_idx ON runs (lane, (-priority), created_at, run_id)
  WHERE status IN ('queued', 'running');
