-- Batch review (issue 12): items that paused for the same reason, found and decided together.
-- Each review gets a stable reason key, the gate and rule or flag that sent it to a human:
--   retrieval:no_passages   nothing in the knowledge base matched the question
--   retrieval:low_score     passages came back, none scoring at the retrieval threshold
--   retrieval:sign_off      the evidence passed but waits for a human anyway
--   policy:<rule id>        the first non-low policy rule the question matched (pii included)
--   risk:<tier>             a non-low tier with no rule to name (unknown tier: risk:unknown)
--   judge:not_judged        the draft was never judged
--   judge:<flag>            the judge's first flag (missing_citations, off_topic …)
--   judge:low_score         the judge scored the draft under its threshold, with no flag
--   audit:sample            the answer passed every gate and was picked for an audit
--   answer:sign_off         the answer waits for a human for no other reason
-- Unlike `reason` (the card's first reason in words, with its scores), the key does not vary
-- between items that share a cause. Its label for people is in src/services/reviews/reasons.ts.

-- No write may slip between the backfill of the counts below and the trigger taking over
-- (0009's reasoning); adding a stored column rewrites the table under this lock anyway.
LOCK TABLE reviews IN ACCESS EXCLUSIVE MODE;

-- The key from the card the graph stored. Written defensively (jsonb comparisons and typeof
-- checks, no casts): a row whose card lacks a field gets a key, never an error. Stored values
-- are not recomputed when a function changes: a new rule needs a migration that drops and adds
-- the column again (and recounts the 'pending_reason' family).
CREATE FUNCTION review_reason_key(card jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN card->>'stage' = 'retrieval' THEN CASE
      WHEN card->'retrieval'->'score' >= card->'retrieval'->'threshold' THEN 'retrieval:sign_off'
      WHEN jsonb_typeof(card->'retrieval'->'passages') = 'array'
        AND jsonb_array_length(card->'retrieval'->'passages') = 0 THEN 'retrieval:no_passages'
      ELSE 'retrieval:low_score' END
    WHEN card->>'stage' = 'answer' THEN CASE
      -- The answer gate's order (src/graph/gates.ts): the stakes first, then the judge.
      WHEN card->>'risk_tier' IS DISTINCT FROM 'low' THEN coalesce(
        (SELECT 'policy:' || (m->>'rule')
         FROM jsonb_array_elements(CASE WHEN jsonb_typeof(card->'policy') = 'array'
                                        THEN card->'policy' ELSE '[]' END)
           WITH ORDINALITY AS e(m, i)
         WHERE m->>'tier' IS DISTINCT FROM 'low' AND m->>'rule' IS NOT NULL
         ORDER BY i LIMIT 1),
        'risk:' || coalesce(card->>'risk_tier', 'unknown'))
      WHEN jsonb_typeof(card->'judge') IS DISTINCT FROM 'object' THEN 'judge:not_judged'
      -- A flag names the gap more precisely than the score it lowered.
      WHEN jsonb_typeof(card->'judge'->'flags') = 'array'
        AND jsonb_array_length(card->'judge'->'flags') > 0 THEN 'judge:' || (card->'judge'->'flags'->>0)
      WHEN card->'judge'->'score' < card->'judge'->'threshold' THEN 'judge:low_score'
      WHEN card->'audit_sample' = 'true' THEN 'audit:sample'
      ELSE 'answer:sign_off' END
    ELSE 'unknown' END
$$;

-- Generated, so every way a review is written (the executor, the bench's bulk load, SQL by hand)
-- gets its key, and the rows already there are filled in by this statement. The card sits in
-- `card` (current interrupts) or in `action_request.args` (reviews stored before it did).
ALTER TABLE reviews ADD COLUMN reason_key text NOT NULL GENERATED ALWAYS AS (
  review_reason_key(coalesce(interrupt->'card', interrupt->'action_request'->'args'))
) STORED;

-- GET /reviews?reason_key=: a seek to the key's range in queue order, like 0007's filters.
CREATE INDEX reviews_queue_reason_idx
  ON reviews (status, reason_key, (-priority), created_at, review_id, stage, risk_tier, queue);

-- GET /reviews/reasons: pending reviews per (reason key, stage), kept in review_counts by the
-- trigger of 0009 as family 'pending_reason' (key1 reason_key, key2 stage), so the grouping is a
-- sum over a few rows instead of a count of every pending review.
CREATE FUNCTION review_reason_count_deltas(
  sign integer, stage text, status text, reason_key text
) RETURNS SETOF review_count_delta
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'pending_reason', reason_key, stage, '', sign::bigint, 0::numeric WHERE status = 'pending'
$$;

CREATE OR REPLACE FUNCTION reviews_count_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  deltas review_count_delta[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    deltas := ARRAY(
      SELECT ROW(k.family, k.key1, k.key2, k.key3, sum(k.n), sum(k.seconds))::review_count_delta
      FROM new_rows r,
        LATERAL (
          SELECT * FROM review_count_deltas(1, r.stage, r.status, r.risk_tier, r.queue,
            r.escalated_at, r.decision_type, r.decided_by, r.created_at, r.first_claimed_at,
            r.decided_at)
          UNION ALL
          SELECT * FROM review_reason_count_deltas(1, r.stage, r.status, r.reason_key)) k
      GROUP BY k.family, k.key1, k.key2, k.key3);
  ELSIF TG_OP = 'DELETE' THEN
    deltas := ARRAY(
      SELECT ROW(k.family, k.key1, k.key2, k.key3, sum(k.n), sum(k.seconds))::review_count_delta
      FROM old_rows r,
        LATERAL (
          SELECT * FROM review_count_deltas(-1, r.stage, r.status, r.risk_tier, r.queue,
            r.escalated_at, r.decision_type, r.decided_by, r.created_at, r.first_claimed_at,
            r.decided_at)
          UNION ALL
          SELECT * FROM review_reason_count_deltas(-1, r.stage, r.status, r.reason_key)) k
      GROUP BY k.family, k.key1, k.key2, k.key3);
  ELSE
    deltas := ARRAY(
      SELECT ROW(k.family, k.key1, k.key2, k.key3, sum(k.n), sum(k.seconds))::review_count_delta
      FROM (SELECT r.*, 1 AS sign FROM new_rows r
            UNION ALL
            SELECT r.*, -1 FROM old_rows r) r,
        LATERAL (
          SELECT * FROM review_count_deltas(r.sign, r.stage, r.status, r.risk_tier, r.queue,
            r.escalated_at, r.decision_type, r.decided_by, r.created_at, r.first_claimed_at,
            r.decided_at)
          UNION ALL
          SELECT * FROM review_reason_count_deltas(r.sign, r.stage, r.status, r.reason_key)) k
      GROUP BY k.family, k.key1, k.key2, k.key3
      HAVING sum(k.n) <> 0 OR sum(k.seconds) <> 0);
  END IF;
  IF cardinality(deltas) > 0 THEN
    PERFORM review_counts_apply(deltas);
  END IF;
  RETURN NULL;
END
$$;

-- The pending reviews already there, in slot 0.
INSERT INTO review_counts (family, key1, key2, key3, slot, n, seconds)
SELECT 'pending_reason', reason_key, stage, '', 0, count(*), 0
FROM reviews WHERE status = 'pending' GROUP BY reason_key, stage;
