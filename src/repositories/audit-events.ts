import type { Queryable } from "../db/database.js";

/** The append-only audit trail of what is not a review (migration 0011): threshold decisions … */
export interface AuditEventRow {
  event_id: string;
  subject: string;
  subject_id: string;
  type: string;
  actor: string;
  at: Date;
  before: unknown;
  after: unknown;
}

export async function appendAuditEvent(
  db: Queryable,
  event: {
    subject: string;
    subject_id: string;
    type: string;
    actor: string;
    before?: unknown;
    after?: unknown;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (subject, subject_id, type, actor, before, after)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      event.subject,
      event.subject_id,
      event.type,
      event.actor,
      event.before === undefined ? null : JSON.stringify(event.before),
      event.after === undefined ? null : JSON.stringify(event.after),
    ],
  );
}

/** A subject's events, oldest first. */
export async function auditEventsOf(
  db: Queryable,
  subject: string,
  subjectId: string,
): Promise<AuditEventRow[]> {
  const { rows } = await db.query<AuditEventRow>(
    `SELECT event_id, subject, subject_id, type, actor, at, before, after FROM audit_events
     WHERE subject = $1 AND subject_id = $2 ORDER BY event_id`,
    [subject, subjectId],
  );
  return rows;
}
