import type { HumanInterrupt } from "@langchain/langgraph/prebuilt";
import type { Citation, JudgeFlag } from "../providers/types.js";
import type { Configuration } from "./configuration.js";
import type { DecisionType, ReviewStage } from "./decision.js";
import { answerGate, retrievalGate } from "./gates.js";
import type { PolicyMatch, RiskTier } from "./policy.js";
import type { State } from "./state.js";

/** Everything a reviewer needs to decide, carried in the interrupt's `action_request.args`. */
export interface ReviewCard {
  stage: ReviewStage;
  /** The first reason in plain words, e.g. "retrieval score 0.31 is under 0.50". */
  reason: string;
  reasons: string[];
  question: string;
  risk_tier: RiskTier;
  policy: PolicyMatch[];
  retrieval: {
    score: number;
    threshold: number;
    passages: { chunk_id: string; title: string; text: string; score: number }[];
  };
  draft: { text: string; citations: Citation[]; provider: string } | null;
  judge: {
    score: number;
    threshold: number;
    groundedness: number;
    coverage: number;
    flags: JudgeFlag[];
    rationale: string;
  } | null;
  audit_sample: boolean;
  revision: { count: number; limit: number };
  allowed_decisions: DecisionType[];
}

/** The scores and thresholds that sent an item to review, stored with the decision. */
export interface ReviewTrigger {
  stage: ReviewStage;
  reasons: string[];
  risk_tier: RiskTier;
  policy_rules: string[];
  retrieval_score: number;
  retrieval_threshold: number;
  judge_score: number | null;
  judge_threshold: number | null;
  judge_flags: JudgeFlag[];
  audit_sample: boolean;
}

export const REVIEW_ACTIONS: Record<ReviewStage, string> = {
  retrieval: "review_retrieval",
  answer: "review_answer",
};

export { flagWords } from "./gates.js";

/** Why the evidence is in front of a reviewer: the retrieval gate's reasons. */
export function retrievalReasons(state: State, cfg: Configuration): string[] {
  const gate = retrievalGate(
    { score: state.retrieval?.score, passages: state.retrieval?.passages.length ?? 0 },
    cfg,
  );
  return gate.reasons.length > 0 ? gate.reasons : ["the evidence needs a human sign-off"];
}

/** Why the draft is in front of a reviewer: a revision they asked for, and the answer gate's reasons. */
export function answerReasons(state: State, cfg: Configuration): string[] {
  const reasons = answerGate(state, cfg).reasons;
  if (state.revisionInstructions !== undefined) {
    reasons.unshift(
      `revised draft ${state.revisionCount} of ${cfg.revisionLimit}, as asked: "${state.revisionInstructions}"`,
    );
  }
  return reasons.length > 0 ? reasons : ["the answer needs a human sign-off"];
}

export function buildReviewCard(
  stage: ReviewStage,
  state: State,
  cfg: Configuration,
  stageReasons: string[],
): ReviewCard {
  const reasons = state.refusedDecision
    ? [`the previous decision was refused: ${state.refusedDecision}`, ...stageReasons]
    : stageReasons;
  const canRevise = state.revisionCount < cfg.revisionLimit;
  const judgment = state.judgment;
  return {
    stage,
    reason: reasons[0]!,
    reasons,
    question: state.question,
    risk_tier: state.riskTier,
    policy: state.policyMatches,
    retrieval: {
      score: state.retrieval?.score ?? 0,
      threshold: cfg.retrievalThreshold,
      passages: (stage === "answer" ? state.evidence : (state.retrieval?.passages ?? [])).map(
        (p) => ({ chunk_id: p.chunk_id, title: p.title, text: p.text, score: p.score }),
      ),
    },
    draft: stage === "answer" && state.draft ? { ...state.draft } : null,
    judge:
      stage === "answer" && judgment
        ? {
            score: judgment.score,
            threshold: cfg.judgeThreshold,
            groundedness: judgment.groundedness,
            coverage: judgment.coverage,
            flags: judgment.flags,
            rationale: judgment.rationale,
          }
        : null,
    audit_sample: stage === "answer" && state.auditSample,
    revision: { count: state.revisionCount, limit: cfg.revisionLimit },
    allowed_decisions: [
      "approve",
      "edit",
      "respond",
      "reject",
      ...(canRevise ? ["revise" as const] : []),
    ],
  };
}

export function triggerOf(card: ReviewCard): ReviewTrigger {
  return {
    stage: card.stage,
    reasons: card.reasons,
    risk_tier: card.risk_tier,
    policy_rules: card.policy.map((p) => p.rule),
    retrieval_score: card.retrieval.score,
    retrieval_threshold: card.retrieval.threshold,
    judge_score: card.judge?.score ?? null,
    judge_threshold: card.judge?.threshold ?? null,
    judge_flags: card.judge?.flags ?? [],
    audit_sample: card.audit_sample,
  };
}

/** Wraps a card in LangChain's Agent Inbox `HumanInterrupt` shape. */
export function toHumanInterrupt(card: ReviewCard): HumanInterrupt {
  const what =
    card.stage === "retrieval"
      ? "the evidence before an answer is written"
      : "the answer before it is sent";
  return {
    action_request: { action: REVIEW_ACTIONS[card.stage], args: card },
    config: { allow_accept: true, allow_edit: true, allow_respond: true, allow_ignore: true },
    description: [
      `**Review ${what}.**`,
      "",
      `Question: ${card.question}`,
      "",
      "Why this needs a human:",
      ...card.reasons.map((r) => `- ${r}`),
      "",
      "Accept approves, Edit changes it (`answer`, or `chunk_ids` of the evidence), Respond answers the question yourself, Ignore rejects it (the user gets the safe fallback reply).",
    ].join("\n"),
  };
}
