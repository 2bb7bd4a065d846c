import type { Queryable } from "../db/database.js";
import { CHANNELS } from "../db/notifications.js";
import type { TemplateName } from "../prompts/template.js";
import type { VersionStatus } from "../services/versioned.js";

/** One version of a prompt template (migration 0016). */
export interface PromptVersionRow {
  version_id: string;
  template: TemplateName;
  version: number;
  body: string;
  status: VersionStatus;
  comment: string | null;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_comment: string | null;
  superseded_at: Date | null;
  dry_run: unknown;
}

const COLUMNS = `version_id, template, version, body, status, comment, proposed_by, proposed_at,
  decided_by, decided_at, decision_comment, superseded_at, dry_run`;

/** Arbitrary constant key: proposals and decisions of prompt versions take it, one at a time. */
const PROMPTS_LOCK_KEY = 7_301_946_416;

/** Serializes prompt proposals (their numbers) and decisions until the transaction ends. */
export async function lockPromptVersions(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [PROMPTS_LOCK_KEY]);
}

/**
 * Inserts a proposal numbered after the template's last version (under lockPromptVersions);
 * undefined when the caller's Idempotency-Key was used before.
 */
export async function insertPromptProposal(
  tx: Queryable,
  proposal: {
    template: TemplateName;
    body: string;
    comment?: string;
    proposed_by: string;
    idempotency_key?: string;
  },
): Promise<PromptVersionRow | undefined> {
  const { rows } = await tx.query<PromptVersionRow>(
    `INSERT INTO prompt_template_versions
       (template, version, body, comment, proposed_by, idempotency_key)
     SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5
     FROM prompt_template_versions WHERE template = $1
     ON CONFLICT (template, proposed_by, idempotency_key) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      proposal.template,
      proposal.body,
      proposal.comment ?? null,
      proposal.proposed_by,
      proposal.idempotency_key ?? null,
    ],
  );
  return rows[0];
}

/**
 * Version 1 of a template, active, from the built-in text, unless the template has a version
 * already. Under lockPromptVersions, so concurrent start-ups insert it once.
 */
export async function seedPromptVersion(
  tx: Queryable,
  template: TemplateName,
  body: string,
  actor: string,
): Promise<PromptVersionRow | undefined> {
  const { rows } = await tx.query<PromptVersionRow>(
    `INSERT INTO prompt_template_versions
       (template, version, body, status, proposed_by, decided_by, decided_at, decision_comment)
     SELECT $1, 1, $2, 'active', $3, $3, clock_timestamp(), 'the built-in text'
     WHERE NOT EXISTS (SELECT 1 FROM prompt_template_versions WHERE template = $1)
     RETURNING ${COLUMNS}`,
    [template, body, actor],
  );
  return rows[0];
}

export async function findPromptProposalByIdempotencyKey(
  db: Queryable,
  template: TemplateName,
  proposedBy: string,
  key: string,
): Promise<PromptVersionRow | undefined> {
  const { rows } = await db.query<PromptVersionRow>(
    `SELECT ${COLUMNS} FROM prompt_template_versions
     WHERE template = $1 AND proposed_by = $2 AND idempotency_key = $3`,
    [template, proposedBy, key],
  );
  return rows[0];
}

export async function findPromptVersion(
  db: Queryable,
  versionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<PromptVersionRow | undefined> {
  const { rows } = await db.query<PromptVersionRow>(
    `SELECT ${COLUMNS} FROM prompt_template_versions WHERE version_id = $1${options.forUpdate ? " FOR UPDATE" : ""}`,
    [versionId],
  );
  return rows[0];
}

export async function findPromptVersionByNumber(
  db: Queryable,
  template: TemplateName,
  version: number,
): Promise<PromptVersionRow | undefined> {
  const { rows } = await db.query<PromptVersionRow>(
    `SELECT ${COLUMNS} FROM prompt_template_versions WHERE template = $1 AND version = $2`,
    [template, version],
  );
  return rows[0];
}

/** The active version of each template that has one (index seeks on the partial unique index). */
export async function findActivePrompts(db: Queryable): Promise<PromptVersionRow[]> {
  const { rows } = await db.query<PromptVersionRow>(
    `SELECT ${COLUMNS} FROM prompt_template_versions WHERE status = 'active'`,
  );
  return rows;
}

/** The newest versions first, of one template or of both. */
export async function listPromptVersions(
  db: Queryable,
  template: TemplateName | undefined,
  limit: number,
): Promise<PromptVersionRow[]> {
  const { rows } = await db.query<PromptVersionRow>(
    `SELECT ${COLUMNS} FROM prompt_template_versions
     WHERE $1::text IS NULL OR template = $1
     ORDER BY proposed_at DESC, version DESC LIMIT $2`,
    [template ?? null, limit],
  );
  return rows;
}

/** Marks the template's active version superseded; the row it was, if there was one. */
export async function supersedeActivePrompt(
  tx: Queryable,
  template: TemplateName,
): Promise<PromptVersionRow | undefined> {
  const { rows } = await tx.query<PromptVersionRow>(
    `UPDATE prompt_template_versions SET status = 'superseded', superseded_at = clock_timestamp()
     WHERE template = $1 AND status = 'active' RETURNING ${COLUMNS}`,
    [template],
  );
  return rows[0];
}

/**
 * Decides a proposal (active or rejected) and, for an activation, tells every process on commit
 * (NOTIFY) that the next run must read the templates again.
 */
export async function decidePromptProposal(
  tx: Queryable,
  versionId: string,
  decision: { status: "active" | "rejected"; by: string; comment?: string },
): Promise<PromptVersionRow | undefined> {
  const { rows } = await tx.query<PromptVersionRow>(
    `UPDATE prompt_template_versions SET status = $2, decided_by = $3,
       decided_at = clock_timestamp(), decision_comment = $4
     WHERE version_id = $1 AND status = 'proposed' RETURNING ${COLUMNS}`,
    [versionId, decision.status, decision.by, decision.comment ?? null],
  );
  if (rows[0] && decision.status === "active") {
    await tx.query("SELECT pg_notify($1, $2)", [CHANNELS.prompts, versionId]);
  }
  return rows[0];
}

/** Stores a proposal's latest dry run (only while it is a proposal). */
export async function recordDryRun(
  db: Queryable,
  versionId: string,
  result: unknown,
): Promise<PromptVersionRow | undefined> {
  const { rows } = await db.query<PromptVersionRow>(
    `UPDATE prompt_template_versions SET dry_run = $2
     WHERE version_id = $1 AND status = 'proposed' RETURNING ${COLUMNS}`,
    [versionId, JSON.stringify(result)],
  );
  return rows[0];
}
