import type { Queryable } from "../db/database.js";
import { CHANNELS } from "../db/notifications.js";

export type ThresholdStatus = "proposed" | "active" | "rejected" | "superseded";

/** One version of the gate thresholds (migration 0011). */
export interface ThresholdVersionRow {
  version_id: string;
  version: number;
  retrieval_threshold: number;
  judge_threshold: number;
  status: ThresholdStatus;
  evidence: unknown;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_comment: string | null;
  superseded_at: Date | null;
}

const COLUMNS = `version_id, version::int AS version, retrieval_threshold, judge_threshold, status,
  evidence, proposed_by, proposed_at, decided_by, decided_at, decision_comment, superseded_at`;

/** Inserts a proposal; undefined when the caller's Idempotency-Key was used before. */
export async function insertProposal(
  db: Queryable,
  proposal: {
    retrieval_threshold: number;
    judge_threshold: number;
    evidence: unknown;
    proposed_by: string;
    idempotency_key?: string;
  },
): Promise<ThresholdVersionRow | undefined> {
  const { rows } = await db.query<ThresholdVersionRow>(
    `INSERT INTO gate_threshold_versions
       (retrieval_threshold, judge_threshold, evidence, proposed_by, idempotency_key)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (proposed_by, idempotency_key) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      proposal.retrieval_threshold,
      proposal.judge_threshold,
      JSON.stringify(proposal.evidence),
      proposal.proposed_by,
      proposal.idempotency_key ?? null,
    ],
  );
  return rows[0];
}

export async function findProposalByIdempotencyKey(
  db: Queryable,
  proposedBy: string,
  key: string,
): Promise<ThresholdVersionRow | undefined> {
  const { rows } = await db.query<ThresholdVersionRow>(
    `SELECT ${COLUMNS} FROM gate_threshold_versions WHERE proposed_by = $1 AND idempotency_key = $2`,
    [proposedBy, key],
  );
  return rows[0];
}

export async function findThresholdVersion(
  db: Queryable,
  versionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ThresholdVersionRow | undefined> {
  const { rows } = await db.query<ThresholdVersionRow>(
    `SELECT ${COLUMNS} FROM gate_threshold_versions WHERE version_id = $1${options.forUpdate ? " FOR UPDATE" : ""}`,
    [versionId],
  );
  return rows[0];
}

/** The active version (an index seek on the partial unique index), if any. */
export async function findActiveThresholds(
  db: Queryable,
): Promise<ThresholdVersionRow | undefined> {
  const { rows } = await db.query<ThresholdVersionRow>(
    `SELECT ${COLUMNS} FROM gate_threshold_versions WHERE status = 'active'`,
  );
  return rows[0];
}

/** The newest versions first. */
export async function listThresholdVersions(
  db: Queryable,
  limit: number,
): Promise<ThresholdVersionRow[]> {
  const { rows } = await db.query<ThresholdVersionRow>(
    `SELECT ${COLUMNS} FROM gate_threshold_versions ORDER BY version DESC LIMIT $1`,
    [limit],
  );
  return rows;
}

/** Arbitrary constant key: approvals and rejections of thresholds take it, one at a time. */
const THRESHOLDS_LOCK_KEY = 7_301_946_311;

/** Serializes threshold decisions until the transaction ends. */
export async function lockThresholdDecisions(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [THRESHOLDS_LOCK_KEY]);
}

/** Marks the active version superseded; the row it was, if there was one. */
export async function supersedeActive(tx: Queryable): Promise<ThresholdVersionRow | undefined> {
  const { rows } = await tx.query<ThresholdVersionRow>(
    `UPDATE gate_threshold_versions SET status = 'superseded', superseded_at = clock_timestamp()
     WHERE status = 'active' RETURNING ${COLUMNS}`,
  );
  return rows[0];
}

/**
 * Decides a proposal (active or rejected) and, for an activation, tells every process on commit
 * (NOTIFY) that the next run must read the thresholds again.
 */
export async function decideProposal(
  tx: Queryable,
  versionId: string,
  decision: { status: "active" | "rejected"; by: string; comment?: string },
): Promise<ThresholdVersionRow | undefined> {
  const { rows } = await tx.query<ThresholdVersionRow>(
    `UPDATE gate_threshold_versions SET status = $2, decided_by = $3, decided_at = clock_timestamp(),
       decision_comment = $4
     WHERE version_id = $1 AND status = 'proposed' RETURNING ${COLUMNS}`,
    [versionId, decision.status, decision.by, decision.comment ?? null],
  );
  if (rows[0] && decision.status === "active") {
    await tx.query("SELECT pg_notify($1, $2)", [CHANNELS.thresholds, versionId]);
  }
  return rows[0];
}

/** A version by its number (what the CLI and /metrics show), for people who type it. */
export async function findThresholdVersionByNumber(
  db: Queryable,
  version: number,
): Promise<ThresholdVersionRow | undefined> {
  const { rows } = await db.query<ThresholdVersionRow>(
    `SELECT ${COLUMNS} FROM gate_threshold_versions WHERE version = $1`,
    [version],
  );
  return rows[0];
}
