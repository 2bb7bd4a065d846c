-- Curated knowledge (issue 12): a document is a series of versions under one stable key (its
-- source when given, else its title). A version in a curated domain waits as 'pending' until a
-- reviewer of that domain approves it; until then the version it replaces stays live.
ALTER TABLE documents
  ADD COLUMN document_key text,
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD COLUMN status text NOT NULL DEFAULT 'live'
    CHECK (status IN ('pending', 'live', 'rejected', 'superseded')),
  -- The version that was live when this one was submitted: what the curation diff compares to.
  ADD COLUMN replaces uuid REFERENCES documents ON DELETE SET NULL,
  -- The whole text as submitted (chunks overlap, so they cannot give it back); NULL before 0014.
  ADD COLUMN body text,
  ADD COLUMN submitted_by text,
  ADD COLUMN decided_by text,
  ADD COLUMN decided_at timestamptz,
  ADD COLUMN reasons text[] NOT NULL DEFAULT '{}',
  ADD COLUMN comment text;

-- Existing documents: versions of their key in the order they arrived; the newest is live.
WITH numbered AS (
  SELECT document_id,
         row_number() OVER (PARTITION BY coalesce(source, title) ORDER BY created_at, document_id) AS n,
         count(*) OVER (PARTITION BY coalesce(source, title)) AS total
  FROM documents
)
UPDATE documents d
SET document_key = coalesce(d.source, d.title),
    version = numbered.n,
    status = CASE WHEN numbered.n = numbered.total THEN 'live' ELSE 'superseded' END
FROM numbered
WHERE numbered.document_id = d.document_id;
ALTER TABLE documents ALTER COLUMN document_key SET NOT NULL;

CREATE UNIQUE INDEX documents_key_version_idx ON documents (document_key, version);
-- At most one live version per document.
CREATE UNIQUE INDEX documents_live_key_idx ON documents (document_key) WHERE status = 'live';
CREATE INDEX documents_pending_idx ON documents (created_at, document_id) WHERE status = 'pending';

-- Retrieval reads only live chunks: the flag is kept with the chunk (set in the transaction that
-- changes the version's status) so the search is one partial GIN index, no join.
ALTER TABLE chunks ADD COLUMN live boolean NOT NULL DEFAULT true;
UPDATE chunks c SET live = false
FROM documents d WHERE d.document_id = c.document_id AND d.status <> 'live';
DROP INDEX chunks_tsv_idx;
CREATE INDEX chunks_live_tsv_idx ON chunks USING gin (tsv) WHERE live;

-- Append-only audit trail of a document version: submitted, approved, rejected, edited, superseded.
CREATE TABLE document_events (
  event_id bigserial PRIMARY KEY,
  document_id uuid NOT NULL REFERENCES documents ON DELETE CASCADE,
  type text NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  before jsonb,
  after jsonb
);
CREATE INDEX document_events_document_idx ON document_events (document_id, event_id);

-- The domains a reviewer key may curate; NULL: every domain (keys made before 0014 keep working).
ALTER TABLE api_keys ADD COLUMN domains text[];

-- "Which answers came from this version": citations carry document ids (a containment query).
CREATE INDEX threads_citations_idx ON threads USING gin (citations jsonb_path_ops);
