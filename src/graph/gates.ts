import type { JudgeFlag, Judgment } from "../providers/types.js";
import type { PolicyMatch, RiskTier } from "./policy.js";
import type { GraphSettings } from "./settings.js";

/**
 * The two gates, as pure functions of recorded facts and the thresholds. The graph's routers,
 * the review card's reasons and the evals (metrics, calibration) all call these, so a gate is
 * written once. `pass` is true exactly when `reasons` is empty.
 */
export interface GateResult {
  pass: boolean;
  /** Why the item needs a human, in plain words; empty when it passes. */
  reasons: string[];
}

const fmt = (n: number): string => n.toFixed(2);

/** What the retrieval gate looks at: the retrieval score, and how many passages came back. */
export interface RetrievalFacts {
  /** Missing (nothing retrieved yet) counts as 0. */
  score: number | null | undefined;
  /** Left out where it is not recorded (the evals' records). */
  passages?: number;
}

/** The retrieval gate: the evidence goes to a human when its score is under the threshold. */
export function retrievalGate(
  facts: RetrievalFacts,
  settings: Pick<GraphSettings, "retrievalThreshold">,
): GateResult {
  const score = facts.score ?? 0;
  if (score >= settings.retrievalThreshold) return { pass: true, reasons: [] };
  const reasons = [`retrieval score ${fmt(score)} is under ${fmt(settings.retrievalThreshold)}`];
  if (facts.passages === 0) reasons.push("no passage of the knowledge base matches the question");
  return { pass: false, reasons };
}

export const flagWords: Record<JudgeFlag, string> = {
  no_answer: "the draft gives no answer",
  missing_citations: "the draft cites no passage",
  unknown_citation: "the draft cites a passage that was not retrieved",
  unsupported_claims: "part of the draft is not supported by the passages it cites",
  off_topic: "the draft does not address the question",
  heading_quoted: "the draft quotes a heading, a title or page boilerplate as the answer",
  answer_type_missing: "the draft does not contain the kind of thing the question asks for",
  focus_missing:
    "the draft misses what the question is about (maybe the right passage but the wrong sentence)",
  unknown_subject: "the knowledge base never mentions the question's subject",
};

/** What the answer gate looks at (the graph's state has all of it, and so do the evals' records). */
export interface AnswerFacts {
  /** The guard's tier; null where it is not known. */
  riskTier: RiskTier | null;
  /** The rules behind the tier, for the reasons; the evals pass none. */
  policyMatches: readonly PolicyMatch[];
  judgment: Pick<Judgment, "score" | "flags" | "explanations"> | null | undefined;
  auditSample: boolean;
}

/**
 * The answer gate: only a low-risk answer the judge scored at or over the threshold, with no
 * flags, goes out unreviewed, unless it was picked as an audit sample.
 */
export function answerGate(
  facts: AnswerFacts,
  settings: Pick<GraphSettings, "judgeThreshold">,
): GateResult {
  const reasons: string[] = [];
  if (facts.riskTier !== "low") {
    const risky = facts.policyMatches.filter((m) => m.tier !== "low");
    for (const match of risky) reasons.push(`${match.tier}-risk topic: ${match.description}`);
    if (risky.length === 0)
      reasons.push(`the question's risk tier is ${facts.riskTier ?? "unknown"}`);
  }
  const judgment = facts.judgment;
  if (!judgment) {
    reasons.push("the draft has not been judged");
  } else {
    if (judgment.score < settings.judgeThreshold) {
      reasons.push(`judge score ${fmt(judgment.score)} is under ${fmt(settings.judgeThreshold)}`);
    }
    for (const flag of judgment.flags)
      reasons.push(judgment.explanations?.[flag] ?? flagWords[flag]);
  }
  if (facts.auditSample && reasons.length === 0) {
    reasons.push("picked at random for an audit review (the answer passed every gate)");
  }
  return { pass: reasons.length === 0, reasons };
}
