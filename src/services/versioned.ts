import type pg from "pg";
import { withTransaction, type Queryable } from "../db/database.js";
import { appendAuditEvent } from "../repositories/audit-events.js";
import { ConflictError, notFound } from "./errors.js";

/**
 * Approving and rejecting a proposed version of something an admin signs off (gate thresholds,
 * migration 0011; prompt templates, 0016): proposed → active (the one it replaces superseded)
 * or proposed → rejected, serialized by the store's lock, each step in the audit trail.
 */

export type VersionStatus = "proposed" | "active" | "rejected" | "superseded";

export interface VersionedRow {
  version_id: string;
  version: number;
  status: VersionStatus;
}

export interface VersionStore<Row extends VersionedRow> {
  /** audit_events.subject */
  subject: string;
  /** How messages name a version, e.g. "threshold version 3". */
  describe(row: Row): string;
  /** The 409's code when the version was decided otherwise already. */
  conflictCode: string;
  /** For the 404: what an unknown id was looked up as. */
  noun: string;
  /** Serializes decisions until the transaction ends. */
  lock(tx: Queryable): Promise<void>;
  find(tx: Queryable, versionId: string, options: { forUpdate: true }): Promise<Row | undefined>;
  /** Marks the active version that `row` replaces superseded; the row it was, if any. */
  supersedeActive(tx: Queryable, row: Row): Promise<Row | undefined>;
  /** Decides a proposal (only a proposal: otherwise undefined). */
  decide(
    tx: Queryable,
    versionId: string,
    decision: { status: "active" | "rejected"; by: string; comment?: string },
  ): Promise<Row | undefined>;
  /** What the audit trail records of a version's contents (null: what applies with none). */
  contents(row: Row | null): Record<string, unknown>;
}

export interface VersionDecision<Row> {
  version: Row;
  /** False when the version already was in the state asked for (a repeated request). */
  changed: boolean;
  /** The version this approval replaced. */
  superseded: Row | null;
}

/**
 * Makes a proposal the active version. Approving the active version again changes nothing;
 * a rejected or superseded one is a 409 (propose it again instead).
 */
export async function approveVersion<Row extends VersionedRow>(
  pool: pg.Pool,
  store: VersionStore<Row>,
  versionId: string,
  actor: { name: string },
  comment?: string,
): Promise<VersionDecision<Row>> {
  return withTransaction(pool, async (tx) => {
    const row = await proposalFor(tx, store, versionId, "active");
    if (row.status === "active") return { version: row, changed: false, superseded: null };
    const superseded = (await store.supersedeActive(tx, row)) ?? null;
    if (superseded) {
      await appendAuditEvent(tx, {
        subject: store.subject,
        subject_id: superseded.version_id,
        type: "superseded",
        actor: actor.name,
        before: { status: "active" },
        after: { status: "superseded", by_version: row.version },
      });
    }
    const active = await store.decide(tx, versionId, { status: "active", by: actor.name, comment });
    await appendAuditEvent(tx, {
      subject: store.subject,
      subject_id: versionId,
      type: "approved",
      actor: actor.name,
      before: {
        status: "proposed",
        active_version: superseded?.version ?? null,
        ...store.contents(superseded),
      },
      after: {
        status: "active",
        version: row.version,
        ...store.contents(row),
        comment: comment ?? null,
      },
    });
    return { version: active!, changed: true, superseded };
  });
}

/** Rejects a proposal: it never applies. Rejecting it again changes nothing. */
export async function rejectVersion<Row extends VersionedRow>(
  pool: pg.Pool,
  store: VersionStore<Row>,
  versionId: string,
  actor: { name: string },
  comment?: string,
): Promise<VersionDecision<Row>> {
  return withTransaction(pool, async (tx) => {
    const row = await proposalFor(tx, store, versionId, "rejected");
    if (row.status === "rejected") return { version: row, changed: false, superseded: null };
    const rejected = await store.decide(tx, versionId, {
      status: "rejected",
      by: actor.name,
      comment,
    });
    await appendAuditEvent(tx, {
      subject: store.subject,
      subject_id: versionId,
      type: "rejected",
      actor: actor.name,
      before: { status: "proposed" },
      after: { status: "rejected", comment: comment ?? null },
    });
    return { version: rejected!, changed: true, superseded: null };
  });
}

/** The version locked for a decision to `target`: a proposal, or already in `target`. */
async function proposalFor<Row extends VersionedRow>(
  tx: Queryable,
  store: VersionStore<Row>,
  versionId: string,
  target: "active" | "rejected",
): Promise<Row> {
  await store.lock(tx);
  const row = await store.find(tx, versionId, { forUpdate: true });
  if (!row) throw notFound(store.noun, versionId);
  if (row.status !== "proposed" && row.status !== target) {
    throw new ConflictError(
      store.conflictCode,
      target === "active"
        ? `${store.describe(row)} is ${row.status}; propose it again to use it`
        : `${store.describe(row)} is ${row.status}; only a proposal can be rejected`,
    );
  }
  return row;
}
