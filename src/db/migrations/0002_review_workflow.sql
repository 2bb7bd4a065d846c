-- API keys: only a SHA-256 of the key is stored; the key itself is shown once at creation.
CREATE TABLE api_keys (
  key_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('client', 'reviewer', 'admin')),
  key_hash text NOT NULL UNIQUE,
  -- The first characters of the key, so a person can tell keys apart in listings.
  prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE UNIQUE INDEX api_keys_active_name_idx ON api_keys (name) WHERE revoked_at IS NULL;

-- Who started a thread: the key's name for people, the key's id for access checks (names can be
-- reused after a key is revoked, ids cannot). Idempotency keys are per caller.
ALTER TABLE threads
  ADD COLUMN created_by text,
  ADD COLUMN owner_id text NOT NULL DEFAULT 'anonymous',
  ADD CONSTRAINT threads_owner_idempotency_key UNIQUE (owner_id, idempotency_key);

-- Claims (a reviewer's lease on an item), SLA deadlines, escalation, and the card's version.
ALTER TABLE reviews
  ADD COLUMN claimed_by text,
  ADD COLUMN claim_expires_at timestamptz,
  ADD COLUMN first_claimed_at timestamptz,
  ADD COLUMN due_at timestamptz,
  ADD COLUMN fallback_at timestamptz,
  ADD COLUMN escalated_at timestamptz,
  ADD COLUMN queue text NOT NULL DEFAULT 'main' CHECK (queue IN ('main', 'escalation')),
  ADD COLUMN version text,
  ADD COLUMN approvals_required integer NOT NULL DEFAULT 1;
CREATE INDEX reviews_due_idx ON reviews (due_at) WHERE status = 'pending';
CREATE INDEX reviews_claim_idx ON reviews (claim_expires_at) WHERE status = 'pending' AND claimed_by IS NOT NULL;

-- One vote per reviewer where policy asks for several approvals.
CREATE TABLE review_votes (
  review_id uuid NOT NULL REFERENCES reviews ON DELETE CASCADE,
  actor text NOT NULL,
  decision jsonb NOT NULL,
  decision_type text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (review_id, actor)
);

-- Webhook events waiting for delivery (written in the same transaction as what they describe).
CREATE TABLE outbox (
  event_id bigserial PRIMARY KEY,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text,
  locked_until timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Every delivery attempt, for operators.
CREATE TABLE webhook_deliveries (
  delivery_id bigserial PRIMARY KEY,
  event_id bigint NOT NULL REFERENCES outbox ON DELETE CASCADE,
  url text NOT NULL,
  attempt integer NOT NULL,
  status_code integer,
  error text,
  duration_ms integer NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);
