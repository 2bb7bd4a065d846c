-- Knowledge base: documents split into chunks searched with Postgres full-text search.
CREATE TABLE documents (
  document_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title text NOT NULL,
  source text,
  domain text,
  -- Re-ingesting the same content is a no-op.
  content_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chunks (
  chunk_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  document_id uuid NOT NULL REFERENCES documents ON DELETE CASCADE,
  ordinal integer NOT NULL,
  title text NOT NULL,
  text text NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')
  ) STORED,
  UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

-- One row per conversation; mirrors the graph's outcome for fast reads.
CREATE TABLE threads (
  thread_id uuid PRIMARY KEY,
  question text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'awaiting_review', 'completed', 'failed')),
  risk_tier text,
  answer text,
  provenance text CHECK (provenance IN ('auto', 'approved', 'edited', 'human', 'fallback')),
  answer_provider text,
  citations jsonb,
  error text,
  -- A client's Idempotency-Key: retrying the same POST /threads returns the same thread.
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

-- The durable job queue. A run starts a thread or resumes it after a decision; workers lease
-- runs with FOR UPDATE SKIP LOCKED and a run whose lease ran out is taken again.
CREATE TABLE runs (
  run_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  thread_id uuid NOT NULL REFERENCES threads ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('start', 'resume')),
  review_id uuid,
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 5,
  worker_id text,
  lease_until timestamptz,
  available_at timestamptz NOT NULL DEFAULT now(),
  error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX runs_pending_idx ON runs (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX runs_thread_idx ON runs (thread_id, created_at);

-- One row per interrupt. interrupt_id is unique so a retried run cannot create a second row.
CREATE TABLE reviews (
  review_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  thread_id uuid NOT NULL REFERENCES threads ON DELETE CASCADE,
  interrupt_id text NOT NULL UNIQUE,
  stage text NOT NULL CHECK (stage IN ('retrieval', 'answer')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'decided')),
  priority integer NOT NULL DEFAULT 0,
  risk_tier text NOT NULL,
  reason text NOT NULL,
  -- The scores and thresholds that sent the item to a human.
  trigger jsonb NOT NULL,
  -- The Agent Inbox HumanInterrupt payload as the graph raised it.
  interrupt jsonb NOT NULL,
  decision jsonb,
  decision_type text CHECK (decision_type IN ('approve', 'edit', 'respond', 'reject', 'revise')),
  decided_by text,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX reviews_queue_idx ON reviews (status, priority DESC, created_at, review_id);
CREATE INDEX reviews_thread_idx ON reviews (thread_id);

-- Append-only audit trail of everything that happens to a review.
CREATE TABLE review_events (
  event_id bigserial PRIMARY KEY,
  review_id uuid NOT NULL REFERENCES reviews ON DELETE CASCADE,
  type text NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  before jsonb,
  after jsonb
);
CREATE INDEX review_events_review_idx ON review_events (review_id, event_id);

-- Structured human feedback: review decisions and post-inference ratings, one shape for both.
CREATE TABLE feedback (
  feedback_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  thread_id uuid NOT NULL REFERENCES threads ON DELETE CASCADE,
  -- At most one feedback row per review, so a retried decision cannot write twice.
  review_id uuid UNIQUE REFERENCES reviews ON DELETE CASCADE,
  source text NOT NULL CHECK (source IN ('review', 'user')),
  stage text,
  decision_type text,
  rating integer,
  reasons text[] NOT NULL DEFAULT '{}',
  comment text,
  correction text,
  instructions text,
  chunk_ids uuid[],
  -- What the human saw: question, evidence ids and scores, draft, judge verdict, trigger.
  context jsonb NOT NULL DEFAULT '{}',
  actor text NOT NULL,
  idempotency_key text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX feedback_thread_idx ON feedback (thread_id);
