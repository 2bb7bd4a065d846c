-- Prompts as approved data (issue 12, item 2): the generator's and the judge's prompt templates,
-- versioned per template. A version is proposed, shown with its diff and a dry run, and runs only
-- once an admin approves it (active); the version it replaces is superseded. Start-up seeds
-- version 1 of each template, active, from the built-in text (src/providers/bedrock/prompts.ts).
CREATE TABLE prompt_template_versions (
  version_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template text NOT NULL CHECK (template IN ('generator', 'judge')),
  -- 1, 2, 3 … per template, in order of proposal: what people and the CLI call a version.
  version integer NOT NULL CHECK (version >= 1),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  status text NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'active', 'rejected', 'superseded')),
  -- Why it was proposed.
  comment text,
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  decided_by text,
  decided_at timestamptz,
  decision_comment text,
  superseded_at timestamptz,
  -- The latest dry run over a sample of the eval set: metrics before and after.
  dry_run jsonb,
  idempotency_key text,
  UNIQUE (template, version),
  CONSTRAINT prompt_template_versions_idempotency UNIQUE (template, proposed_by, idempotency_key),
  CHECK ((status = 'proposed') = (decided_by IS NULL))
);
-- One active version per template at a time.
CREATE UNIQUE INDEX prompt_template_versions_one_active ON prompt_template_versions (template)
  WHERE status = 'active';

-- The versions a run's generator and judge used (NULL: the built-in text, before any seeding).
ALTER TABLE runs
  ADD COLUMN generator_prompt_version_id uuid REFERENCES prompt_template_versions,
  ADD COLUMN judge_prompt_version_id uuid REFERENCES prompt_template_versions;
