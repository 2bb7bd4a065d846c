import type { ReviewStage } from "../graph/decision.js";
import type { RiskTier } from "../graph/policy.js";
import type { Provenance } from "../graph/state.js";
import type { JudgeFlag } from "../providers/types.js";
import type { EvalCase, HumanLabel, Route } from "./dataset.js";

/** How the draft compares with the reference answer (see src/evals/metrics.ts). */
export interface AnswerQuality {
  /** "token_f1" offline; "judge" when a model provider graded the draft against the reference. */
  method: "token_f1" | "judge";
  /** Token F1 of the draft against the reference (always computed; the offline metric). */
  f1: number;
  precision: number;
  recall: number;
  /** The judge's score of the draft with the reference as its only evidence ("judge" method). */
  judge_score: number | null;
  /** f1 ≥ the quality cut ("token_f1"), or judge_score ≥ the quality cut ("judge"). */
  correct: boolean;
}

export interface JudgeRecord {
  score: number;
  groundedness: number;
  coverage: number;
  flags: JudgeFlag[];
  provider: string;
}

/** What one question did in the graph, plus its human labels and how it scored against them. */
export interface CaseRecord {
  id: string;
  question: string;
  category: string | null;
  domain: string | null;
  source: EvalCase["source"];
  human: HumanLabel;
  thread_id: string;
  /** The first gate the thread reached (or auto / refusal when it finished without one). */
  route: Route;
  /** Every review the thread paused for, in order; each was approved so the run could go on. */
  reviews: ReviewStage[];
  risk_tier: RiskTier | null;
  policy_rules: string[];
  /** The retrieval score (null when the guard refused the question before retrieval). */
  retrieval_score: number | null;
  /** The judge's verdict on the final draft (null when no draft was judged, e.g. a refusal). */
  judge: JudgeRecord | null;
  audit_sample: boolean;
  /** The last draft the generator wrote (citation markers included). */
  draft: string | null;
  /** What the user would get: the approved draft, or the refusal. */
  answer: string | null;
  provenance: Provenance | null;
  /** Null without a reference answer or a draft. */
  quality: AnswerQuality | null;
  /** The human verdict on the answer: quality.correct, or null when it cannot be told. */
  correct: boolean | null;
  /**
   * The human verdict on letting this question through unreviewed: it should not escalate and
   * its answer is not known to be wrong. An auto-routed case where this is false is a leak.
   */
  acceptable_unreviewed: boolean;
  /** Milliseconds per node for this question, summed when a node ran more than once. */
  latency_ms: Record<string, number>;
  /** Machine time of the whole question (the graph's calls, not the time spent "waiting"). */
  total_ms: number;
}

export interface Thresholds {
  retrieval: number;
  judge: number;
}
