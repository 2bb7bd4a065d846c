-- The review queue at a million rows (bench/queue.ts): every filter of GET /reviews, every page
-- however deep, /metrics and the sweeper are index seeks instead of scans and sorts.

-- The queue order is (priority DESC, created_at, review_id). Indexed as (-priority, created_at,
-- review_id), all ascending, a page after a cursor is one row comparison,
-- (-priority, created_at, review_id) > (-p, c, id), that the btree seeks to directly; with
-- mixed directions it had to be an OR that scanned every row before the cursor. The status comes
-- first so pending and decided reviews are each a contiguous, ordered range (a listing without
-- a status merges one page of each). One index per filter, so a selective filter (risk_tier=low
-- sorts after every medium and high review; queue=main after every escalated one) seeks to its
-- own range instead of skipping rows that do not match. The other filters' columns trail the key
-- (review_id is unique, so they do not change the order): combined filters are checked inside
-- the index, without reading skipped rows from the table, whichever index the planner picks.
DROP INDEX reviews_queue_idx;
CREATE INDEX reviews_queue_idx
  ON reviews (status, (-priority), created_at, review_id, stage, risk_tier, queue);
CREATE INDEX reviews_queue_stage_idx
  ON reviews (status, stage, (-priority), created_at, review_id, risk_tier, queue);
CREATE INDEX reviews_queue_risk_idx
  ON reviews (status, risk_tier, (-priority), created_at, review_id, stage, queue);
CREATE INDEX reviews_queue_queue_idx
  ON reviews (status, queue, (-priority), created_at, review_id, stage, risk_tier);
CREATE INDEX reviews_queue_assignee_idx
  ON reviews (status, claimed_by, (-priority), created_at, review_id, claim_expires_at)
  WHERE claimed_by IS NOT NULL;
-- older_than: when few reviews are that old, fetching them by age and sorting beats the order.
CREATE INDEX reviews_queue_age_idx ON reviews (status, created_at);

-- The sweeper: the oldest overdue reviews, in the order it takes them.
DROP INDEX reviews_due_idx;
CREATE INDEX reviews_due_idx ON reviews (due_at, review_id)
  WHERE status = 'pending' AND escalated_at IS NULL;
CREATE INDEX reviews_fallback_idx ON reviews (fallback_at, review_id) WHERE status = 'pending';

-- /metrics: each family is counted from a small partial index, index-only, without the heap.
CREATE INDEX reviews_depth_idx ON reviews (stage, risk_tier, queue) WHERE status = 'pending';
CREATE INDEX reviews_claimed_latency_idx ON reviews (stage, first_claimed_at, created_at)
  WHERE first_claimed_at IS NOT NULL;
CREATE INDEX reviews_decided_latency_idx ON reviews (stage, decided_at, created_at)
  WHERE decided_at IS NOT NULL;
CREATE INDEX reviews_escalated_idx ON reviews (stage, risk_tier) WHERE escalated_at IS NOT NULL;
CREATE INDEX reviews_decisions_idx ON reviews (stage, decision_type, decided_by)
  WHERE status = 'decided';
CREATE INDEX threads_status_idx ON threads (status, provenance);
CREATE INDEX outbox_failed_idx ON outbox (failed_at) WHERE failed_at IS NOT NULL;
