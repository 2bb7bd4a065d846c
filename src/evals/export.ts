import { createHash } from "node:crypto";
import type { Queryable } from "../db/database.js";
import type { ReviewTrigger } from "../graph/review-card.js";
import { editDiff } from "./export-diff.js";

/**
 * The eval dataset export: human signal on finished threads (review decisions and post-inference
 * feedback) as examples in the LangSmith shape `{inputs, outputs, metadata}`, one JSON object per
 * line. Used by `npm run evals:export` and `GET /datasets/export`.
 *
 * One example per completed thread with human signal, chosen by the first rule that applies:
 * 1. a user's `correction` (the latest one): positive, the correction is the reference;
 * 2. a reviewer's last decision was `reject`: negative, the rejected draft in `metadata.rejected_answer`;
 * 3. the latest user rating is 1 or 2 (no correction): negative, the answer the user saw is rejected;
 * 4. provenance `edited`, `human` or `approved`: positive, the final answer is the reference;
 * 5. the latest user rating is 4 or 5: positive, the answer the user endorsed is the reference.
 * Ratings without a correction on a fallback reply say nothing about an answer and are skipped,
 * as are decisions by the system (an SLA timeout's reject) and threads that are not completed.
 *
 * Duplicates (the same question after `normalizeQuestion`) keep the strongest signal:
 * edited = human > approved > user correction > user approval > negative; the newest on ties.
 * The split is a function of the normalized question only (`splitOf`), so an example never moves
 * between train and test across exports, and duplicates cannot leak across the split.
 */

export { rootCauses } from "../graph/decision.js";
import { rootCauses } from "../graph/decision.js";
export type RootCause = (typeof rootCauses)[number];

export type ExampleLabel = "positive" | "negative";
export type ExampleSplit = "train" | "test";
export type SignalSource = "review" | "user" | "both";
/** What made the example: the reference's origin, or why the answer is a negative one. */
export type Signal =
  | "edited"
  | "human"
  | "approved"
  | "user_correction"
  | "user_approval"
  | "review_reject"
  | "user_rejection";

const STRENGTH: Record<Signal, number> = {
  edited: 5,
  human: 5,
  approved: 4,
  user_correction: 3,
  user_approval: 2,
  review_reject: 1,
  user_rejection: 1,
};

export interface ExportedPassage {
  chunk_id: string;
  /** Retrieval score; null when only the answer's citations are known (threads never reviewed). */
  score: number | null;
}

/** The scores and thresholds that sent an item to review, as the review stored them. */
export type ExportedTrigger = ReviewTrigger;

export interface ExportedDecision {
  review_id: string;
  stage: "retrieval" | "answer";
  type: string;
  reasons: string[];
  comment: string | null;
  /** The reviewer's text (edit and respond). */
  answer: string | null;
  instructions: string | null;
  /** The passages a retrieval-stage edit kept. */
  chunk_ids: string[] | null;
  root_cause: RootCause | null;
  reviewer: string;
  /** Reviewers whose approvals counted, where policy asks for several. */
  approvals: string[];
  queued_at: string;
  decided_at: string | null;
  /** The scores and thresholds that sent this item to review. */
  trigger: ExportedTrigger | null;
  /** Word diff from the draft to the edited answer (`[-removed-]{+added+}`), edit decisions only. */
  edit_diff: string | null;
}

export interface ExportedUserFeedback {
  feedback_id: string;
  rating: number | null;
  reasons: string[];
  comment: string | null;
  correction: string | null;
  /** Word diff from the answer the user saw to their correction. */
  correction_diff: string | null;
  user: string;
  at: string;
}

export interface ExampleMetadata {
  thread_id: string;
  label: ExampleLabel;
  signal: Signal;
  source: SignalSource;
  split: ExampleSplit;
  /** First 16 hex digits of the SHA-256 of the normalized question (the dedup and split key). */
  question_hash: string;
  provenance: string | null;
  risk_tier: string | null;
  /** How the thread was routed first: auto, retrieval_review, answer_review, or refusal. */
  route: "auto" | "refusal" | "retrieval_review" | "answer_review";
  /** The trigger of the last review (the gate closest to the final answer); null without review. */
  trigger: ExportedTrigger | null;
  passages: ExportedPassage[];
  draft: string | null;
  final_answer: string | null;
  /** For negative examples: the answer a human turned down (null when rejected before a draft). */
  rejected_answer: string | null;
  judge: { score: number; rationale: string; [key: string]: unknown } | null;
  answer_provider: string | null;
  citations: unknown[];
  decisions: ExportedDecision[];
  user_feedback: ExportedUserFeedback[];
  /** The latest root cause a reviewer tagged. */
  root_cause: RootCause | null;
  thread_metadata: Record<string, unknown>;
  created_at: string;
  completed_at: string | null;
  /** The time of the latest human signal. */
  signal_at: string;
  /** Other threads with the same question that this example won over. */
  duplicate_thread_ids: string[];
}

/** One line of the export, in the LangSmith example shape. */
export interface ExportedExample {
  inputs: { question: string };
  outputs: { answer: string | null };
  metadata: ExampleMetadata;
}

export interface ExportOptions {
  /** Only threads with human signal recorded at or after this time. */
  since?: Date;
  /** Share of questions in the test split, 0…1 (default 0.2). */
  testShare?: number;
  /** Only this split. */
  split?: ExampleSplit;
  /** Threads read per query (default 500). */
  batchSize?: number;
  onProgress?: (progress: { threads: number }) => void;
}

export interface ExportStats {
  /** Completed threads with any feedback that were read. */
  threads: number;
  /** Of those, threads with nothing to export (only system decisions, neutral ratings, …). */
  without_signal: number;
  duplicates_removed: number;
  /** Examples left out by the `split` option. */
  other_split: number;
  examples: number;
  by_label: Record<ExampleLabel, number>;
  by_split: Record<ExampleSplit, number>;
  by_source: Record<SignalSource, number>;
}

export interface ExportResult {
  examples: ExportedExample[];
  stats: ExportStats;
}

export const DEFAULT_TEST_SHARE = 0.2;

/** Lowercase, NFKC, collapsed whitespace, no punctuation or symbols at either end. */
export function normalizeQuestion(question: string): string {
  return question
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, "");
}

function questionDigest(question: string): Buffer {
  return createHash("sha256").update(normalizeQuestion(question)).digest();
}

/** test when the first 4 bytes of SHA-256(normalized question) / 2^32 < testShare, else train. */
export function splitOf(question: string, testShare: number = DEFAULT_TEST_SHARE): ExampleSplit {
  return questionDigest(question).readUInt32BE(0) / 2 ** 32 < testShare ? "test" : "train";
}

/** `root_cause:<value>` entries in a decision's reasons, until decisions carry `root_cause`. */
const ROOT_CAUSE_REASON = /^root[_ ]cause\s*:\s*(.+)$/i;

function parseRootCause(value: unknown): RootCause | null {
  if (typeof value !== "string") return null;
  const normalized = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
  return (rootCauses as readonly string[]).includes(normalized) ? (normalized as RootCause) : null;
}

/** The root cause (the column when present, else a `root_cause:` reason) and the other reasons. */
export function splitRootCause(
  reasons: string[],
  column?: unknown,
): { rootCause: RootCause | null; reasons: string[] } {
  let rootCause = parseRootCause(column);
  const rest: string[] = [];
  for (const reason of reasons) {
    const tagged = parseRootCause(reason.match(ROOT_CAUSE_REASON)?.[1]);
    if (tagged) rootCause ??= tagged;
    else rest.push(reason);
  }
  return { rootCause, reasons: rest };
}

const isSystemActor = (actor: string | null): boolean =>
  actor === "system" || (actor?.startsWith("system:") ?? false);

/** A feedback row as `to_jsonb` returns it (timestamps are strings). */
interface FeedbackJson {
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

interface ReviewJson {
  review_id: string;
  stage: "retrieval" | "answer";
  trigger: ExportedTrigger | null;
  decision_type: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
  feedback: FeedbackJson | null;
}

interface ThreadExportRow {
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
}

/**
 * Completed threads with feedback, in creation order, each with its decided reviews (and their
 * feedback rows) and its user feedback, one page after `after`.
 */
async function threadPage(
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
              FROM feedback u WHERE u.thread_id = t.thread_id AND u.source = 'user'), '[]'::json) AS user_feedback
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

const iso = (value: string | Date): string => new Date(value).toISOString();

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function passagesOf(value: unknown): ExportedPassage[] | null {
  if (!Array.isArray(value)) return null;
  return value.map((p: { chunk_id?: unknown; score?: unknown }) => ({
    chunk_id: String(p.chunk_id),
    score: typeof p.score === "number" ? p.score : null,
  }));
}

interface Candidate {
  key: string;
  strength: number;
  signalAt: string;
  createdAt: Date;
  threadId: string;
  example: ExportedExample;
}

/** The example a thread gives, or undefined when it has no usable human signal. */
function exampleOf(row: ThreadExportRow, testShare: number): Candidate | undefined {
  const decisions: ExportedDecision[] = row.reviews.map((r) => {
    const f = r.feedback;
    const context = f?.context ?? {};
    const { rootCause, reasons } = splitRootCause(f?.reasons ?? [], f?.root_cause);
    const draft = str(context.draft);
    const answer = f?.correction ?? null;
    return {
      review_id: r.review_id,
      stage: r.stage,
      type: r.decision_type ?? f?.decision_type ?? "unknown",
      reasons,
      comment: f?.comment ?? null,
      answer,
      instructions: f?.instructions ?? null,
      chunk_ids: f?.chunk_ids ?? null,
      root_cause: rootCause,
      reviewer: r.decided_by ?? f?.actor ?? "unknown",
      approvals: Array.isArray(context.approvals) ? (context.approvals as string[]) : [],
      queued_at: iso(r.created_at),
      decided_at: r.decided_at ? iso(r.decided_at) : null,
      trigger: r.trigger,
      edit_diff:
        r.decision_type === "edit" && draft !== null && answer !== null
          ? editDiff(draft, answer)
          : null,
    };
  });
  const userFeedback: ExportedUserFeedback[] = row.user_feedback.map((f) => {
    const shown = str(f.context?.answer);
    return {
      feedback_id: f.feedback_id,
      rating: f.rating,
      reasons: f.reasons ?? [],
      comment: f.comment,
      correction: f.correction,
      correction_diff:
        f.correction !== null && shown !== null ? editDiff(shown, f.correction) : null,
      user: f.actor,
      at: iso(f.created_at),
    };
  });

  const human = decisions.filter((d) => !isSystemActor(d.reviewer));
  const lastDecision = human.at(-1);
  const lastReview = row.reviews.at(-1);
  const lastAnswerReview = row.reviews.filter((r) => r.stage === "answer").at(-1);
  const latestCorrection = userFeedback.filter((f) => f.correction !== null).at(-1);
  const latestRating = userFeedback.at(-1)?.rating ?? null;
  const fallback = row.provenance === "fallback";
  const draft =
    str(lastAnswerReview?.feedback?.context?.draft) ??
    (row.provenance === "auto" ? row.answer : null);

  let signal: Signal | undefined;
  let reference: string | null = null;
  let rejected: string | null = null;
  if (latestCorrection) {
    signal = "user_correction";
    reference = latestCorrection.correction;
  } else if (lastDecision?.type === "reject") {
    signal = "review_reject";
    const rejectedReview = row.reviews.find((r) => r.review_id === lastDecision.review_id);
    rejected = str(rejectedReview?.feedback?.context?.draft);
  } else if (latestRating !== null && latestRating <= 2 && !fallback) {
    signal = "user_rejection";
    rejected = str(row.user_feedback.at(-1)?.context?.answer) ?? row.answer;
  } else if (
    (row.provenance === "edited" || row.provenance === "human" || row.provenance === "approved") &&
    lastDecision !== undefined
  ) {
    signal = row.provenance;
    reference = row.answer;
  } else if (latestRating !== null && latestRating >= 4 && !fallback && row.answer !== null) {
    signal = "user_approval";
    reference = row.answer;
  }
  if (!signal) return undefined;

  const hasReview = human.length > 0;
  const hasUser = userFeedback.length > 0;
  const signalTimes = [
    ...human.map((d) => d.decided_at ?? d.queued_at),
    ...userFeedback.map((f) => f.at),
  ].sort();
  const firstStage = row.reviews[0]?.stage;
  const digest = questionDigest(row.question);
  const label: ExampleLabel = STRENGTH[signal] > 1 ? "positive" : "negative";
  const judge = lastAnswerReview?.feedback?.context?.judge;
  const example: ExportedExample = {
    inputs: { question: row.question },
    outputs: { answer: label === "positive" ? reference : null },
    metadata: {
      thread_id: row.thread_id,
      label,
      signal,
      source: hasReview && hasUser ? "both" : hasReview ? "review" : "user",
      split: digest.readUInt32BE(0) / 2 ** 32 < testShare ? "test" : "train",
      question_hash: digest.toString("hex").slice(0, 16),
      provenance: row.provenance,
      risk_tier: row.risk_tier,
      route: firstStage ? `${firstStage}_review` : row.risk_tier === "blocked" ? "refusal" : "auto",
      trigger: lastReview?.trigger ?? null,
      passages:
        passagesOf(lastReview?.feedback?.context?.passages) ??
        (row.citations ?? []).map((c) => ({ chunk_id: String(c.chunk_id), score: null })),
      draft,
      final_answer: row.answer,
      rejected_answer: label === "negative" ? rejected : null,
      judge: judge && typeof judge === "object" ? (judge as ExampleMetadata["judge"]) : null,
      answer_provider: row.answer_provider,
      citations: row.citations ?? [],
      decisions,
      user_feedback: userFeedback,
      root_cause: human.filter((d) => d.root_cause !== null).at(-1)?.root_cause ?? null,
      thread_metadata: row.metadata ?? {},
      created_at: row.created_at.toISOString(),
      completed_at: row.completed_at?.toISOString() ?? null,
      signal_at: signalTimes.at(-1) ?? row.created_at.toISOString(),
      duplicate_thread_ids: [],
    },
  };
  return {
    key: normalizeQuestion(row.question),
    strength: STRENGTH[signal],
    signalAt: example.metadata.signal_at,
    createdAt: row.created_at,
    threadId: row.thread_id,
    example,
  };
}

/** Whether `a` beats `b` for the same question: stronger signal, then the newer signal. */
function beats(a: Candidate, b: Candidate): boolean {
  if (a.strength !== b.strength) return a.strength > b.strength;
  if (a.signalAt !== b.signalAt) return a.signalAt > b.signalAt;
  return a.threadId > b.threadId;
}

function emptyStats(): ExportStats {
  return {
    threads: 0,
    without_signal: 0,
    duplicates_removed: 0,
    other_split: 0,
    examples: 0,
    by_label: { positive: 0, negative: 0 },
    by_split: { train: 0, test: 0 },
    by_source: { review: 0, user: 0, both: 0 },
  };
}

/**
 * Reads every completed thread with feedback (in pages, with one query per page), turns each into
 * at most one example, removes duplicate questions and returns the examples in the order the
 * threads were created. Everything is held in memory: deduplication needs the whole set.
 */
export async function exportExamples(
  db: Queryable,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const testShare = options.testShare ?? DEFAULT_TEST_SHARE;
  if (!(testShare >= 0 && testShare <= 1))
    throw new RangeError("testShare must be between 0 and 1");
  const batchSize = options.batchSize ?? 500;
  const stats = emptyStats();
  const best = new Map<string, Candidate>();
  const dropped = new Map<string, string[]>();
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const page = await threadPage(db, options.since ?? null, after, batchSize);
    if (page.length === 0) break;
    for (const row of page) {
      stats.threads++;
      const candidate = exampleOf(row, testShare);
      if (!candidate) {
        stats.without_signal++;
        continue;
      }
      const current = best.get(candidate.key);
      if (current) stats.duplicates_removed++;
      const [winner, loser] =
        !current || beats(candidate, current) ? [candidate, current] : [current, candidate];
      best.set(candidate.key, winner);
      if (loser)
        dropped.set(candidate.key, [...(dropped.get(candidate.key) ?? []), loser.threadId]);
    }
    options.onProgress?.({ threads: stats.threads });
    if (page.length < batchSize) break;
    const last = page.at(-1)!;
    after = { at: last.cursor_at, id: last.thread_id };
  }
  const examples: ExportedExample[] = [];
  const ordered = [...best.values()].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.threadId < b.threadId ? -1 : 1),
  );
  for (const candidate of ordered) {
    const { metadata } = candidate.example;
    metadata.duplicate_thread_ids = (dropped.get(candidate.key) ?? []).sort();
    if (options.split && metadata.split !== options.split) {
      stats.other_split++;
      continue;
    }
    stats.examples++;
    stats.by_label[metadata.label]++;
    stats.by_split[metadata.split]++;
    stats.by_source[metadata.source]++;
    examples.push(candidate.example);
  }
  return { examples, stats };
}

/** One JSONL line (with its newline). */
export function toJsonl(example: ExportedExample): string {
  return `${JSON.stringify(example)}\n`;
}

/** A one-line summary for people: counts by label, split and source. */
export function describeStats(stats: ExportStats): string {
  const parts = [
    `${stats.examples} examples (${stats.by_label.positive} positive, ${stats.by_label.negative} negative)`,
    `split ${stats.by_split.train} train / ${stats.by_split.test} test`,
    `source ${stats.by_source.review} review, ${stats.by_source.user} user, ${stats.by_source.both} both`,
    `from ${stats.threads} threads with feedback (${stats.without_signal} without usable signal, ${stats.duplicates_removed} duplicates removed${stats.other_split ? `, ${stats.other_split} in the other split` : ""})`,
  ];
  return parts.join("; ");
}
