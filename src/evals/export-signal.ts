import { rootCauses } from "../graph/decision.js";
import { reviewRoute } from "./dataset.js";
import { editDiff } from "./export-diff.js";
import type {
  ExampleLabel,
  ExampleMetadata,
  ExportedDecision,
  ExportedExample,
  ExportedPassage,
  ExportedUserFeedback,
  RootCause,
  Signal,
} from "./export-example.js";
import { normalizeQuestion, questionDigest, splitOfDigest } from "./export-questions.js";
import type { ThreadExportRow } from "./export-threads.js";

/**
 * The human signal of one thread, as at most one example (the rules are listed in
 * src/evals/export.ts), with how strong that signal is for deduplication.
 */

const STRENGTH: Record<Signal, number> = {
  edited: 5,
  human: 5,
  approved: 4,
  user_correction: 3,
  user_approval: 2,
  review_reject: 1,
  user_rejection: 1,
};

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

export interface Candidate {
  key: string;
  strength: number;
  signalAt: string;
  createdAt: Date;
  threadId: string;
  example: ExportedExample;
}

/** The example a thread gives, or undefined when it has no usable human signal. */
export function exampleOf(row: ThreadExportRow, testShare: number): Candidate | undefined {
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
      channel: f.context?.channel === "feedback_token" ? "feedback_token" : "api_key",
      answer_provenance: str(f.context?.provenance),
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
      split: splitOfDigest(digest, testShare),
      question_hash: digest.toString("hex").slice(0, 16),
      provenance: row.provenance,
      risk_tier: row.risk_tier,
      route: firstStage
        ? reviewRoute(firstStage)
        : row.risk_tier === "blocked"
          ? "refusal"
          : "auto",
      trigger: lastReview?.trigger ?? null,
      passages:
        passagesOf(lastReview?.feedback?.context?.passages) ??
        (row.citations ?? []).map((c) => ({ chunk_id: String(c.chunk_id), score: null })),
      draft,
      final_answer: row.answer,
      rejected_answer: label === "negative" ? rejected : null,
      judge: judge && typeof judge === "object" ? (judge as ExampleMetadata["judge"]) : null,
      answer_provider: row.answer_provider,
      prompt_versions: row.prompt_versions ?? [],
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
