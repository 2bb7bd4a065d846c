import type { Queryable } from "../db/database.js";

/** The append-only audit trail of a document version: submitted, approved, rejected, edited … */
export interface DocumentEventRow {
  event_id: string;
  type: string;
  actor: string;
  at: Date;
  before: unknown;
  after: unknown;
}

export async function documentEventsOf(
  db: Queryable,
  documentId: string,
): Promise<DocumentEventRow[]> {
  const { rows } = await db.query<DocumentEventRow>(
    `SELECT event_id, type, actor, at, before, after FROM document_events
     WHERE document_id = $1 ORDER BY event_id`,
    [documentId],
  );
  return rows;
}

export async function appendDocumentEvent(
  db: Queryable,
  event: { document_id: string; type: string; actor: string; before?: unknown; after?: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO document_events (document_id, type, actor, before, after) VALUES ($1, $2, $3, $4, $5)`,
    [
      event.document_id,
      event.type,
      event.actor,
      event.before === undefined ? null : JSON.stringify(event.before),
      event.after === undefined ? null : JSON.stringify(event.after),
    ],
  );
}
