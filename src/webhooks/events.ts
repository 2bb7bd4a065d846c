import type { Queryable } from "../db/database.js";
import { insertOutboxEvent, type OutboxRow } from "../repositories/outbox.js";

export type { OutboxRow } from "../repositories/outbox.js";

export const webhookEventTypes = [
  "review.created",
  "review.escalated",
  "thread.completed",
  "document.pending",
  "document.approved",
  "document.rejected",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The JSON body POSTed to the webhook URL; identical on every attempt for one event. */
export interface WebhookEvent {
  /** The outbox event id, as a string. Receivers dedupe on it: delivery is at-least-once. */
  id: string;
  type: WebhookEventType;
  /** When the event was enqueued (the transaction that caused it), ISO 8601 UTC. */
  created_at: string;
  data: Record<string, unknown>;
}

/**
 * Puts an event in the outbox. Call it with the transaction client of the change the event
 * describes (inside `withTransaction`), so the event exists if and only if that change committed;
 * the deliverer sends it afterwards.
 */
export async function enqueueEvent(
  db: Queryable,
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<void> {
  if (!(webhookEventTypes as readonly string[]).includes(type)) {
    throw new Error(`unknown webhook event type: ${String(type)}`);
  }
  await insertOutboxEvent(db, type, data);
}

/** The exact bytes sent (and signed) for an outbox row. */
export function eventBody(
  row: Pick<OutboxRow, "event_id" | "event_type" | "created_at" | "payload">,
): string {
  const event: WebhookEvent = {
    id: String(row.event_id),
    type: row.event_type,
    created_at: row.created_at.toISOString(),
    data: row.payload,
  };
  return JSON.stringify(event);
}
