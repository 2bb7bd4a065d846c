import type { Queryable } from "../db/database.js";

/** The families of review_counts; the keys' meaning is in migrations 0009 and 0017. */
export type CountFamily =
  | "pending"
  | "escalated"
  | "decided"
  | "claim_latency"
  | "decision_latency"
  | "threads"
  | "pending_reason";

export interface CountRow {
  family: CountFamily;
  key1: string;
  key2: string;
  key3: string;
  n: number;
  /** The durations' sum, for the latency families; 0 for the others. */
  seconds: number;
}

/**
 * The counts the triggers of migration 0009 keep, summed over their slots: a few hundred rows
 * whatever the size of reviews. A count back at zero is left out, as a recount's GROUP BY would
 * have no row for it. Ordered as the recounts were (empty keys stand for NULL, which sorted last).
 */
export async function reviewCounts(db: Queryable): Promise<CountRow[]> {
  const { rows } = await db.query<
    Record<"family" | "key1" | "key2" | "key3" | "n" | "seconds", string>
  >(
    `SELECT family, key1, key2, key3, sum(n) AS n, sum(seconds) AS seconds FROM review_counts
     GROUP BY family, key1, key2, key3 HAVING sum(n) <> 0
     ORDER BY family, key1, nullif(key2, ''), nullif(key3, '')`,
  );
  return rows.map((r) => ({
    family: r.family as CountFamily,
    key1: r.key1,
    key2: r.key2,
    key3: r.key3,
    n: Number(r.n),
    seconds: Number(r.seconds),
  }));
}
