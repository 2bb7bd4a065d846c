import type { ReviewStage, rootCauses } from "../graph/decision.js";
import type { ReviewTrigger } from "../graph/review-card.js";
import type { Route } from "./dataset.js";

/** One example of the eval dataset export (src/evals/export.ts), in the LangSmith shape. */

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

export interface ExportedPassage {
  chunk_id: string;
  /** Retrieval score; null when only the answer's citations are known (threads never reviewed). */
  score: number | null;
}

/** The scores and thresholds that sent an item to review, as the review stored them. */
export type ExportedTrigger = ReviewTrigger;

export interface ExportedDecision {
  review_id: string;
  stage: ReviewStage;
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
  /** `feedback_token`: an end user through the widget; `api_key`: the app or a person with a key. */
  channel: "feedback_token" | "api_key";
  /**
   * The provenance of the answer that was rated (`auto` for the graph's own answer): a low rating
   * of an `auto` answer is a labelled error of the automatic path.
   */
  answer_provenance: string | null;
  user: string;
  at: string;
}

/** A prompt template version the thread's runs used (migration 0016). */
export interface ExportedPromptVersion {
  template: "generator" | "judge";
  version: number;
  version_id: string;
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
  route: Route;
  /** The trigger of the last review (the gate closest to the final answer); null without review. */
  trigger: ExportedTrigger | null;
  passages: ExportedPassage[];
  draft: string | null;
  final_answer: string | null;
  /** For negative examples: the answer a human turned down (null when rejected before a draft). */
  rejected_answer: string | null;
  judge: { score: number; rationale: string; [key: string]: unknown } | null;
  answer_provider: string | null;
  /**
   * The prompt template versions the thread's runs used, by template and version (more than one
   * of a template when a version was approved between its runs); empty before migration 0016.
   */
  prompt_versions: ExportedPromptVersion[];
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
