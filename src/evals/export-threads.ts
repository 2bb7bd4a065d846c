import type { Queryable } from "../db/database.js";
import type { ReviewStage } from "../graph/decision.js";
import type { ExportedPromptVersion, ExportedTrigger } from "./export-example.js";

/** What the export reads: completed threads with feedback, a page at a time, in one query each. */

/** A feedback row as `to_jsonb` returns it (timestamps are strings). */
export interface FeedbackJson {
  feedback_id: string;
  source: "review" | "user";
  stage: string | null;
  decision_type: string | null;
  rating: number | null;
  reasons: string[] | null;
  comment: string | null;
  correction: string | null;
  instructions: string | null;
  chunk_ids: string[] | null;
  context: Record<string, unknown> | null;
  actor: string;
  created_at: string;
  /** After the migration that adds it. */
  root_cause?: string | null;
}

export interface ReviewJson {
  review_id: string;
  stage: ReviewStage;
  trigger: ExportedTrigger | null;
  decision_type: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
  feedback: FeedbackJson | null;
}

export interface ThreadExportRow {
  thread_id: string;
  question: string;
  risk_tier: string | null;
  answer: string | null;
  provenance: string | null;
  answer_provider: string | null;
  citations: { chunk_id?: string }[] | null;
  metadata: Record<string, unknown> | null;
  created_at: Date;
  completed_at: Date | null;
  cursor_at: string;
  reviews: ReviewJson[];
  user_feedback: FeedbackJson[];
  prompt_versions: ExportedPromptVersion[];
}

/**
 * Completed threads with feedback, in creation order, each with its decided reviews (and their
 * feedback rows), its user feedback and the prompt template versions its runs used (from the
 * runs, and from the completing run's gate facts, which outlive the runs' retention), one page
 * after `after`.
 */
export async function threadPage(
  db: Queryable,
  since: Date | null,
  after: { at: string; id: string } | null,
  limit: number,
): Promise<ThreadExportRow[]> {
  const { rows } = await db.query<ThreadExportRow>(
    `SELECT t.thread_id, t.question, t.risk_tier, t.answer, t.provenance, t.answer_provider, t.citations,
            t.metadata, t.created_at, t.completed_at, t.created_at::text AS cursor_at,
            coalesce((
              SELECT json_agg(json_build_object(
                       'review_id', r.review_id, 'stage', r.stage, 'trigger', r.trigger,
                       'decision_type', r.decision_type, 'decided_by', r.decided_by,
                       'decided_at', r.decided_at, 'created_at', r.created_at, 'feedback', to_jsonb(f))
                     ORDER BY r.created_at, r.review_id)
              FROM reviews r LEFT JOIN feedback f ON f.review_id = r.review_id
              WHERE r.thread_id = t.thread_id AND r.status = 'decided'), '[]'::json) AS reviews,
            coalesce((
              SELECT json_agg(to_jsonb(u) ORDER BY u.created_at, u.feedback_id)
              FROM feedback u WHERE u.thread_id = t.thread_id AND u.source = 'user'), '[]'::json) AS user_feedback,
            coalesce((
              SELECT json_agg(json_build_object(
                       'template', p.template, 'version', p.version, 'version_id', p.version_id)
                     ORDER BY p.template, p.version)
              FROM prompt_template_versions p
              WHERE p.version_id IN (
                SELECT unnest(ARRAY[r.generator_prompt_version_id, r.judge_prompt_version_id])
                FROM runs r WHERE r.thread_id = t.thread_id
                UNION ALL
                SELECT (t.gate -> 'prompt_version_ids' ->> k)::uuid
                FROM unnest(ARRAY['generator', 'judge']) k)), '[]'::json) AS prompt_versions
     FROM threads t
     WHERE t.status = 'completed'
       AND EXISTS (SELECT 1 FROM feedback s WHERE s.thread_id = t.thread_id
                   AND ($1::timestamptz IS NULL OR s.created_at >= $1::timestamptz))
       AND ($2::timestamptz IS NULL OR (t.created_at, t.thread_id) > ($2::timestamptz, $3::uuid))
     ORDER BY t.created_at, t.thread_id
     LIMIT $4`,
    [since?.toISOString() ?? null, after?.at ?? null, after?.id ?? null, limit],
  );
  return rows;
}
