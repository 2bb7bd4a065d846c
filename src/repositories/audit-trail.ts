import type { Queryable } from "../db/database.js";

/** One event of an append-only audit trail (a review's, a document version's). */
export interface AuditEventRow {
  event_id: string;
  type: string;
  actor: string;
  at: Date;
  before: unknown;
  after: unknown;
}

export interface NewAuditEvent {
  type: string;
  actor: string;
  before?: unknown;
  after?: unknown;
}

/** The tables that hold an audit trail, and the column naming what each event is about. */
const TRAILS = {
  review_events: "review_id",
  document_events: "document_id",
} as const;

/** Reads and appends to one audit-trail table; the names are constants, never input. */
export function auditTrail(table: keyof typeof TRAILS) {
  const subject = TRAILS[table];
  return {
    async eventsOf(db: Queryable, id: string): Promise<AuditEventRow[]> {
      const { rows } = await db.query<AuditEventRow>(
        `SELECT event_id, type, actor, at, before, after FROM ${table}
         WHERE ${subject} = $1 ORDER BY event_id`,
        [id],
      );
      return rows;
    },
    async append(db: Queryable, id: string, event: NewAuditEvent): Promise<void> {
      // As JSON text: node-postgres would send a bare array as a Postgres array.
      await db.query(
        `INSERT INTO ${table} (${subject}, type, actor, before, after) VALUES ($1, $2, $3, $4, $5)`,
        [id, event.type, event.actor, jsonOrNull(event.before), jsonOrNull(event.after)],
      );
    },
  };
}

const jsonOrNull = (value: unknown) =>
  value === undefined || value === null ? null : JSON.stringify(value);
