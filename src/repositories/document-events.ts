import { auditTrail, type AuditEventRow, type NewAuditEvent } from "./audit-trail.js";
import type { Queryable } from "../db/database.js";

/** The append-only audit trail of a document version: submitted, approved, rejected, edited … */
export type DocumentEventRow = AuditEventRow;

const trail = auditTrail("document_events");

export const documentEventsOf = (db: Queryable, documentId: string) =>
  trail.eventsOf(db, documentId);

export const appendDocumentEvent = (
  db: Queryable,
  { document_id, ...event }: NewAuditEvent & { document_id: string },
) => trail.append(db, document_id, event);
