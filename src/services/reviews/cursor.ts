import type { QueueCursor, ReviewRow } from "../../repositories/reviews.js";
import { isStorableTimestamp } from "../../validation/timestamps.js";

/** An opaque position in the queue order, for `next_cursor`. */
export function encodeCursor(row: ReviewRow & { created_at_exact: string }): string {
  const cursor: QueueCursor = {
    priority: row.priority,
    created_at: row.created_at_exact,
    review_id: row.review_id,
  };
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

/** Undefined when the cursor was not made by encodeCursor. */
export function decodeCursor(cursor: string): QueueCursor | undefined {
  try {
    const value = JSON.parse(
      Buffer.from(cursor, "base64url").toString("utf8"),
    ) as Partial<QueueCursor>;
    if (
      Number.isSafeInteger(value.priority) &&
      typeof value.created_at === "string" &&
      /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/.test(
        value.created_at,
      ) &&
      isStorableTimestamp(value.created_at) &&
      typeof value.review_id === "string" &&
      /^[0-9a-f-]{36}$/i.test(value.review_id)
    ) {
      return value as QueueCursor;
    }
  } catch {
    // fall through
  }
  return undefined;
}
