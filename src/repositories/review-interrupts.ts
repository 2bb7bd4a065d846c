import type { Queryable } from "../db/database.js";

export interface ReviewInterrupt {
  review_id: string;
  interrupt_id: string;
  status: "pending" | "decided";
}

/** The interrupts a thread raised, each with its review, oldest first. */
export async function interruptsOfThread(
  db: Queryable,
  threadId: string,
): Promise<ReviewInterrupt[]> {
  const { rows } = await db.query<ReviewInterrupt>(
    `SELECT review_id, interrupt_id, status FROM reviews WHERE thread_id = $1
     ORDER BY created_at, review_id`,
    [threadId],
  );
  return rows;
}
