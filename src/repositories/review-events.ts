import { auditTrail, type AuditEventRow, type NewAuditEvent } from "./audit-trail.js";
import type { Queryable } from "../db/database.js";

/** The append-only audit trail of a review: created, claimed, voted, escalated, decided … */
export type ReviewEventRow = AuditEventRow;

const trail = auditTrail("review_events");

export const eventsOf = (db: Queryable, reviewId: string) => trail.eventsOf(db, reviewId);

export const appendReviewEvent = (
  db: Queryable,
  { review_id, ...event }: NewAuditEvent & { review_id: string },
) => trail.append(db, review_id, event);
