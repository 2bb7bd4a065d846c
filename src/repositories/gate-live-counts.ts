import type { Queryable } from "../db/database.js";

/** Labelled automatic answers of one risk tier and source over a window (migration 0011). */
export interface GateLiveCount {
  risk_tier: string;
  source: "audit" | "feedback";
  trials: number;
  wrong: number;
}

/**
 * The kept counts of the last `days` UTC days, today included: a sum over at most
 * days × tiers × 2 sources × 16 slots rows, read by the primary key's range on `day`.
 */
export async function gateLiveCounts(db: Queryable, days: number): Promise<GateLiveCount[]> {
  const { rows } = await db.query<GateLiveCount>(
    `SELECT risk_tier, source, sum(trials)::int AS trials, sum(wrong)::int AS wrong
     FROM gate_live_counts
     WHERE day > (now() AT TIME ZONE 'UTC')::date - $1::int
     GROUP BY risk_tier, source ORDER BY risk_tier, source`,
    [days],
  );
  return rows;
}
