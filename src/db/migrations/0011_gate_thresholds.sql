-- The live loop (issue 11, item 3): gate thresholds versioned in the database, a general audit
-- trail for what is not a review, the version that gated each run, and the kept counts of
-- labelled automatic answers that /metrics and GET /gate/live read the live error rate from.

-- Threshold versions: proposed (from recent labels, with the certification as evidence), then
-- approved (active) or rejected by an admin. The gates use one pair for every risk tier (only
-- low-risk answers can pass the answer gate), so a version is one pair; its evidence is per tier.
CREATE TABLE gate_threshold_versions (
  version_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- 1, 2, 3 … in order of proposal: what people, /metrics and the CLI call a version.
  version bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  retrieval_threshold double precision NOT NULL CHECK (retrieval_threshold BETWEEN 0 AND 1),
  judge_threshold double precision NOT NULL CHECK (judge_threshold BETWEEN 0 AND 1),
  status text NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'active', 'rejected', 'superseded')),
  -- The calibration summary the proposal rests on: per tier the bound, n, k, review share.
  evidence jsonb NOT NULL,
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Who approved or rejected it, when, and why.
  decided_by text,
  decided_at timestamptz,
  decision_comment text,
  superseded_at timestamptz,
  CHECK ((status = 'proposed') = (decided_by IS NULL))
);
-- Exactly one active version at a time; none means the environment's thresholds apply.
CREATE UNIQUE INDEX gate_threshold_versions_one_active ON gate_threshold_versions (status)
  WHERE status = 'active';
CREATE INDEX gate_threshold_versions_history_idx ON gate_threshold_versions (version DESC);

-- The append-only audit trail of what is not a review (review_events references reviews):
-- threshold proposals, approvals, rejections. Kept forever, as review_events is by default.
CREATE TABLE audit_events (
  event_id bigserial PRIMARY KEY,
  subject text NOT NULL,
  subject_id text NOT NULL,
  type text NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  before jsonb,
  after jsonb
);
CREATE INDEX audit_events_subject_idx ON audit_events (subject, subject_id, event_id);

-- Which version gated a run (NULL: the environment's thresholds) and the pair it ran with
-- (a run an admin gave its own settings may differ from the version's).
ALTER TABLE runs
  ADD COLUMN threshold_version_id uuid REFERENCES gate_threshold_versions,
  ADD COLUMN thresholds jsonb;

-- What the gates saw on a finished thread (scores, flags, the version), so a user's rating of an
-- automatic answer is a labelled case for the next proposal without reading its checkpoints.
ALTER TABLE threads ADD COLUMN gate jsonb;

-- Labelled automatic answers per UTC day, risk tier and source, kept by the triggers below:
--   audit     an audit sample (an answer that passed every gate, sent to review at random)
--             decided by a human; wrong when the decision was not a plain approval
--   feedback  a user's first rating of an automatic answer; wrong when it is 1 or 2
-- The live rate over a window is a sum over (days × tiers × sources × slots) rows, never a scan
-- of reviews or feedback. Striped over 16 slots by transaction id like review_counts (0009), so
-- concurrent ratings rarely wait on one row. Rows deleted later (retention) are not subtracted:
-- these are counts of labels given, and the window ages them out.
CREATE TABLE gate_live_counts (
  day date NOT NULL,
  risk_tier text NOT NULL,
  source text NOT NULL CHECK (source IN ('audit', 'feedback')),
  slot smallint NOT NULL,
  trials bigint NOT NULL,
  wrong bigint NOT NULL,
  PRIMARY KEY (day, risk_tier, source, slot)
);

CREATE FUNCTION gate_live_count(at timestamptz, risk_tier text, source text, wrong boolean)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO gate_live_counts AS c (day, risk_tier, source, slot, trials, wrong)
  VALUES ((at AT TIME ZONE 'UTC')::date, coalesce(risk_tier, 'unknown'), source,
    (txid_current() % 16)::smallint, 1, CASE WHEN wrong THEN 1 ELSE 0 END)
  ON CONFLICT (day, risk_tier, source, slot)
  DO UPDATE SET trials = c.trials + 1, wrong = c.wrong + excluded.wrong
$$;

-- Only the first draft of an audit sample counts: a revision it was sent back for is another
-- answer, not one the gate let through. An SLA fallback (system:sla) is nobody's label.
CREATE FUNCTION reviews_gate_live() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gate_live_count(NEW.decided_at, NEW.risk_tier, 'audit', NEW.decision_type <> 'approve');
  RETURN NULL;
END
$$;
CREATE TRIGGER reviews_gate_live AFTER UPDATE OF status ON reviews
  FOR EACH ROW
  WHEN (OLD.status = 'pending' AND NEW.status = 'decided' AND NEW.stage = 'answer'
    AND NEW.trigger ->> 'audit_sample' = 'true'
    AND coalesce(NEW.interrupt -> 'card' -> 'revision' ->> 'count', '0') = '0'
    AND NEW.decided_by IS DISTINCT FROM 'system:sla')
  EXECUTE FUNCTION reviews_gate_live();

-- A user's first rating of an automatic answer; later ratings of the same thread change nothing.
CREATE FUNCTION feedback_gate_live() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tier text;
BEGIN
  SELECT t.risk_tier INTO tier FROM threads t
  WHERE t.thread_id = NEW.thread_id AND t.provenance = 'auto';
  IF FOUND AND NOT EXISTS (
    SELECT 1 FROM feedback f
    WHERE f.thread_id = NEW.thread_id AND f.source = 'user' AND f.rating IS NOT NULL
      AND f.feedback_id <> NEW.feedback_id
  ) THEN
    PERFORM gate_live_count(NEW.created_at, tier, 'feedback', NEW.rating <= 2);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER feedback_gate_live AFTER INSERT ON feedback
  FOR EACH ROW WHEN (NEW.source = 'user' AND NEW.rating IS NOT NULL)
  EXECUTE FUNCTION feedback_gate_live();

-- The labels already given, counted once.
INSERT INTO gate_live_counts (day, risk_tier, source, slot, trials, wrong)
SELECT (decided_at AT TIME ZONE 'UTC')::date, risk_tier, 'audit', 0, count(*),
  count(*) FILTER (WHERE decision_type <> 'approve')
FROM reviews
WHERE status = 'decided' AND stage = 'answer' AND trigger ->> 'audit_sample' = 'true'
  AND coalesce(interrupt -> 'card' -> 'revision' ->> 'count', '0') = '0'
  AND decided_by IS DISTINCT FROM 'system:sla'
GROUP BY 1, 2;

INSERT INTO gate_live_counts (day, risk_tier, source, slot, trials, wrong)
SELECT (f.created_at AT TIME ZONE 'UTC')::date, coalesce(t.risk_tier, 'unknown'), 'feedback', 0,
  count(*), count(*) FILTER (WHERE f.rating <= 2)
FROM (
  SELECT DISTINCT ON (thread_id) thread_id, rating, created_at FROM feedback
  WHERE source = 'user' AND rating IS NOT NULL
  ORDER BY thread_id, created_at, feedback_id
) f
JOIN threads t ON t.thread_id = f.thread_id AND t.provenance = 'auto'
GROUP BY 1, 2;

-- A repeated POST /thresholds/proposals with the same Idempotency-Key returns the first proposal.
ALTER TABLE gate_threshold_versions ADD COLUMN idempotency_key text,
  ADD CONSTRAINT gate_threshold_versions_idempotency UNIQUE (proposed_by, idempotency_key);

-- The labels a proposal reads over its window, by index: decided answer reviews by decision
-- time, and users' ratings by time.
CREATE INDEX reviews_answer_decided_idx ON reviews (decided_at)
  WHERE status = 'decided' AND stage = 'answer';
CREATE INDEX feedback_user_rating_idx ON feedback (created_at)
  WHERE source = 'user' AND rating IS NOT NULL;
