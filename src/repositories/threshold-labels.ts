import type { Queryable } from "../db/database.js";
import type { JudgeFlag } from "../providers/types.js";

/** One human label on an answer the gates scored, with what they saw (for a proposal). */
export interface ThresholdLabel {
  source: "review" | "audit" | "feedback";
  /** The review or the thread it labels. */
  id: string;
  risk_tier: string | null;
  retrieval_score: number | null;
  judge_score: number | null;
  judge_flags: JudgeFlag[];
  /** The human said this answer was fine to send unreviewed. */
  acceptable: boolean;
}

/**
 * The labels of the last `days` days, both by index (migration 0011):
 * - answer reviews a human decided, on the first draft only (a revision is another answer), an
 *   audit sample's included: approve says the draft was fine unreviewed, anything else says not;
 * - a user's first rating of an automatic answer: 1–2 is an error, 3–5 fine.
 * SLA fallbacks (system:sla) are nobody's label and left out.
 */
export async function thresholdLabels(db: Queryable, days: number): Promise<ThresholdLabel[]> {
  const { rows } = await db.query<ThresholdLabel>(
    `SELECT CASE WHEN (r.trigger ->> 'audit_sample')::boolean THEN 'audit' ELSE 'review' END AS source,
       r.review_id::text AS id, r.risk_tier,
       (r.trigger ->> 'retrieval_score')::float8 AS retrieval_score,
       (r.trigger ->> 'judge_score')::float8 AS judge_score,
       coalesce(r.trigger -> 'judge_flags', '[]') AS judge_flags,
       r.decision_type = 'approve' AS acceptable
     FROM reviews r
     WHERE r.status = 'decided' AND r.stage = 'answer'
       AND r.decided_at > now() - make_interval(days => $1)
       AND coalesce(r.interrupt -> 'card' -> 'revision' ->> 'count', '0') = '0'
       AND r.decided_by IS DISTINCT FROM 'system:sla'
     UNION ALL
     SELECT 'feedback', f.thread_id::text, t.risk_tier,
       (t.gate ->> 'retrieval_score')::float8, (t.gate ->> 'judge_score')::float8,
       coalesce(t.gate -> 'judge_flags', '[]'), f.rating >= 3
     FROM (
       SELECT DISTINCT ON (thread_id) thread_id, rating FROM feedback
       WHERE source = 'user' AND rating IS NOT NULL
         AND created_at > now() - make_interval(days => $1)
       ORDER BY thread_id, created_at, feedback_id
     ) f
     JOIN threads t ON t.thread_id = f.thread_id AND t.provenance = 'auto' AND t.gate IS NOT NULL`,
    [days],
  );
  return rows;
}
