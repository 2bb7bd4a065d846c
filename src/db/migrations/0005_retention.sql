-- Retention (src/runs/retention.ts): indexes so every pass finds what it may delete by an index
-- seek on the oldest rows, instead of scanning tables that only ever grow.

-- Finished runs, oldest first. runs_pending_idx covers only queued and running runs.
CREATE INDEX runs_finished_idx ON runs (finished_at) WHERE status IN ('succeeded', 'failed');

-- Delivered or given-up webhook events. Exactly one of the two timestamps is set once an event
-- is settled, so coalesce() is the moment it settled.
CREATE INDEX outbox_settled_idx ON outbox ((coalesce(delivered_at, failed_at)))
  WHERE delivered_at IS NOT NULL OR failed_at IS NOT NULL;

-- Audit events by age, used only when RETENTION_REVIEW_EVENTS_DAYS asks for it. The table is
-- append-only, so the index costs one more btree insert per event.
CREATE INDEX review_events_at_idx ON review_events (at);

-- When a completed thread's checkpoints were pruned to its last one. The partial index holds only
-- completed threads not pruned yet, so it stays small however many threads the table keeps, and a
-- pruned thread is never looked at again.
ALTER TABLE threads ADD COLUMN checkpoints_pruned_at timestamptz;
CREATE INDEX threads_checkpoints_unpruned_idx ON threads (completed_at)
  WHERE status = 'completed' AND checkpoints_pruned_at IS NULL;
