-- /metrics at a million reviews (issue 10): the counts it reports are kept as reviews and threads
-- change, by triggers, instead of counted at every scrape (620–700 ms at 1M pending reviews).
-- /metrics sums a table of a few hundred rows (src/repositories/review-counts.ts).

-- No write may slip between the backfill below and the triggers taking over: the locks wait for
-- the writes in flight and block new ones until this migration commits, and the backfill's
-- snapshot is taken after them. reviews is locked exclusively from the start because the DROP
-- INDEXes at the end need that anyway, and taking it last could deadlock with a reader that
-- goes on to write. So /reviews waits for this migration: a few seconds at a million reviews.
LOCK TABLE threads IN SHARE ROW EXCLUSIVE MODE;
LOCK TABLE reviews IN ACCESS EXCLUSIVE MODE;

-- One row per (family, labels, slot); a metric's value is the sum over its slots. Families:
--   pending           key1 stage, key2 risk_tier, key3 queue       reviews with status pending
--   escalated         key1 stage, key2 risk_tier                   escalated_at set (any status)
--   decided           key1 stage, key2 decision_type, key3 human|sla   status decided
--   claim_latency     key1 stage, key2 bucket                      first_claimed_at set
--   decision_latency  key1 stage, key2 bucket                      decided_at set
--   threads           key1 status, key2 provenance ('' for none)   every thread
-- A latency bucket is the smallest `le` of /metrics' histogram (60 … 86400) the duration fits
-- in, '+Inf' past the last; `seconds` holds the durations' sum. Changing the buckets needs a
-- migration that recomputes these rows, and src/metrics/prometheus.ts's LATENCY_BUCKETS with it.
--
-- Contention: a count row is locked by the transaction that changed it until it commits, so
-- every decision on answer/low/main reviews would queue behind the previous one on one row.
-- Each count is therefore striped over 16 slots, picked by the transaction id: concurrent
-- transactions mostly land on different rows, and one transaction always reuses its own. More
-- slots would mean fewer collisions but more rows to sum and to vacuum; with a pool of ten
-- connections, sixteen keeps collisions rare and the table small (families × labels × 16).
CREATE TABLE review_counts (
  family text NOT NULL,
  key1 text NOT NULL,
  key2 text NOT NULL,
  key3 text NOT NULL,
  slot smallint NOT NULL,
  n bigint NOT NULL,
  -- numeric, not float8: a sum kept by adding and subtracting stays exact, equal to a recount.
  seconds numeric NOT NULL,
  PRIMARY KEY (family, key1, key2, key3, slot)
);

CREATE TYPE review_count_delta AS (
  family text,
  key1 text,
  key2 text,
  key3 text,
  n bigint,
  seconds numeric
);

CREATE FUNCTION review_latency_bucket(d numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN d <= 60 THEN '60' WHEN d <= 300 THEN '300' WHEN d <= 900 THEN '900'
    WHEN d <= 1800 THEN '1800' WHEN d <= 3600 THEN '3600' WHEN d <= 7200 THEN '7200'
    WHEN d <= 14400 THEN '14400' WHEN d <= 28800 THEN '28800' WHEN d <= 86400 THEN '86400'
    ELSE '+Inf' END
$$;

-- What one review contributes to the counts, times `sign` (+1 added, -1 removed). Columns, not
-- the row: a whole-row argument would build a copy of every row (interrupt and all) to read five
-- fields, which doubled the trigger's cost on a bulk insert. Inlined by the planner.
CREATE FUNCTION review_count_deltas(
  sign integer, stage text, status text, risk_tier text, queue text, escalated_at timestamptz,
  decision_type text, decided_by text, created_at timestamptz, first_claimed_at timestamptz,
  decided_at timestamptz
) RETURNS SETOF review_count_delta
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'pending', stage, risk_tier, queue, sign::bigint, 0::numeric WHERE status = 'pending'
  UNION ALL
  SELECT 'escalated', stage, risk_tier, '', sign, 0 WHERE escalated_at IS NOT NULL
  UNION ALL
  SELECT 'decided', stage, coalesce(decision_type, ''),
    CASE WHEN decided_by = 'system:sla' THEN 'sla' ELSE 'human' END, sign, 0
  WHERE status = 'decided'
  UNION ALL
  SELECT 'claim_latency', stage, review_latency_bucket(d), '', sign, sign * d
  FROM (SELECT extract(epoch FROM first_claimed_at - created_at) AS d) x
  WHERE first_claimed_at IS NOT NULL
  UNION ALL
  SELECT 'decision_latency', stage, review_latency_bucket(d), '', sign, sign * d
  FROM (SELECT extract(epoch FROM decided_at - created_at) AS d) x
  WHERE decided_at IS NOT NULL
$$;

-- Adds aggregated deltas in key order, so two statements lock the rows they share in the same
-- order and cannot deadlock on each other. Across statements the order holds too: the service
-- changes a review before its thread in one transaction (a decision, a new interrupt), and the
-- review families sort before 'threads'.
CREATE FUNCTION review_counts_apply(deltas review_count_delta[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO review_counts AS c (family, key1, key2, key3, slot, n, seconds)
  SELECT d.family, d.key1, d.key2, d.key3, (txid_current() % 16)::smallint, d.n, d.seconds
  FROM unnest(deltas) d
  ORDER BY d.family, d.key1, d.key2, d.key3
  ON CONFLICT (family, key1, key2, key3, slot)
  DO UPDATE SET n = c.n + excluded.n, seconds = c.seconds + excluded.seconds
$$;

-- Statement-level with transition tables rather than FOR EACH ROW: a statement's rows are
-- aggregated first, so each of the bench's 100,000-row INSERTs costs one GROUP BY and a few dozen
-- upserts instead of 100,000 upserts of the same few rows. An UPDATE nets old against new, so
-- one that changes no counted column (claims, releases, claim expiry, a thread's updated_at)
-- writes nothing here and takes no count row's lock. A trigger with transition tables may have
-- only one event, hence three per table, on one function per table.
CREATE FUNCTION reviews_count_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  deltas review_count_delta[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    deltas := ARRAY(
      SELECT ROW(k.family, k.key1, k.key2, k.key3, sum(k.n), sum(k.seconds))::review_count_delta
      FROM new_rows r,
        review_count_deltas(1, r.stage, r.status, r.risk_tier, r.queue, r.escalated_at,
          r.decision_type, r.decided_by, r.created_at, r.first_claimed_at, r.decided_at) k
      GROUP BY k.family, k.key1, k.key2, k.key3);
  ELSIF TG_OP = 'DELETE' THEN
    deltas := ARRAY(
      SELECT ROW(k.family, k.key1, k.key2, k.key3, sum(k.n), sum(k.seconds))::review_count_delta
      FROM old_rows r,
        review_count_deltas(-1, r.stage, r.status, r.risk_tier, r.queue, r.escalated_at,
          r.decision_type, r.decided_by, r.created_at, r.first_claimed_at, r.decided_at) k
      GROUP BY k.family, k.key1, k.key2, k.key3);
  ELSE
    deltas := ARRAY(
      SELECT ROW(k.family, k.key1, k.key2, k.key3, sum(k.n), sum(k.seconds))::review_count_delta
      FROM (SELECT r.*, 1 AS sign FROM new_rows r
            UNION ALL
            SELECT r.*, -1 FROM old_rows r) r,
        review_count_deltas(r.sign, r.stage, r.status, r.risk_tier, r.queue, r.escalated_at,
          r.decision_type, r.decided_by, r.created_at, r.first_claimed_at, r.decided_at) k
      GROUP BY k.family, k.key1, k.key2, k.key3
      HAVING sum(k.n) <> 0 OR sum(k.seconds) <> 0);
  END IF;
  IF cardinality(deltas) > 0 THEN
    PERFORM review_counts_apply(deltas);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION threads_count_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  deltas review_count_delta[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    deltas := ARRAY(
      SELECT ROW('threads', status, coalesce(provenance, ''), '', count(*), 0)::review_count_delta
      FROM new_rows GROUP BY status, provenance);
  ELSIF TG_OP = 'DELETE' THEN
    deltas := ARRAY(
      SELECT ROW('threads', status, coalesce(provenance, ''), '', -count(*), 0)::review_count_delta
      FROM old_rows GROUP BY status, provenance);
  ELSE
    deltas := ARRAY(
      SELECT ROW('threads', status, coalesce(provenance, ''), '', sum(sign), 0)::review_count_delta
      FROM (SELECT status, provenance, 1 AS sign FROM new_rows
            UNION ALL
            SELECT status, provenance, -1 FROM old_rows) t
      GROUP BY status, provenance
      HAVING sum(sign) <> 0);
  END IF;
  IF cardinality(deltas) > 0 THEN
    PERFORM review_counts_apply(deltas);
  END IF;
  RETURN NULL;
END
$$;

-- TRUNCATE fires no DELETE trigger; this one empties the truncated table's families instead.
CREATE FUNCTION review_counts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'threads' THEN
    DELETE FROM review_counts WHERE family = 'threads';
  ELSE
    DELETE FROM review_counts WHERE family <> 'threads';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER reviews_counts_insert AFTER INSERT ON reviews
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_count_changes();
CREATE TRIGGER reviews_counts_update AFTER UPDATE ON reviews
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reviews_count_changes();
CREATE TRIGGER reviews_counts_delete AFTER DELETE ON reviews
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_count_changes();
CREATE TRIGGER reviews_counts_truncate AFTER TRUNCATE ON reviews
  FOR EACH STATEMENT EXECUTE FUNCTION review_counts_truncated();
CREATE TRIGGER threads_counts_insert AFTER INSERT ON threads
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION threads_count_changes();
CREATE TRIGGER threads_counts_update AFTER UPDATE ON threads
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION threads_count_changes();
CREATE TRIGGER threads_counts_delete AFTER DELETE ON threads
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION threads_count_changes();
CREATE TRIGGER threads_counts_truncate AFTER TRUNCATE ON threads
  FOR EACH STATEMENT EXECUTE FUNCTION review_counts_truncated();

-- The rows already there, all in slot 0.
INSERT INTO review_counts (family, key1, key2, key3, slot, n, seconds)
SELECT k.family, k.key1, k.key2, k.key3, 0, sum(k.n), sum(k.seconds)
FROM reviews r,
  review_count_deltas(1, r.stage, r.status, r.risk_tier, r.queue, r.escalated_at,
    r.decision_type, r.decided_by, r.created_at, r.first_claimed_at, r.decided_at) k
GROUP BY k.family, k.key1, k.key2, k.key3;
INSERT INTO review_counts (family, key1, key2, key3, slot, n, seconds)
SELECT 'threads', status, coalesce(provenance, ''), '', 0, count(*), 0
FROM threads GROUP BY status, provenance;

-- /metrics no longer reads these partial indexes of 0007 and nothing else does; each cost a
-- btree write on every insert, and on the updates that change their columns. threads_status_idx
-- stays (thread searches and counts filter by status), as does outbox_failed_idx (/metrics still
-- counts the outbox, which holds little undelivered or failed and is rotated by retention).
DROP INDEX reviews_depth_idx;
DROP INDEX reviews_claimed_latency_idx;
DROP INDEX reviews_decided_latency_idx;
DROP INDEX reviews_escalated_idx;
DROP INDEX reviews_decisions_idx;
