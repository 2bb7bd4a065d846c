import type { Decision } from "./decision.js";
import type { ReviewCard } from "./review-card.js";

/** A decision that is well-formed but does not fit the review it answers. */
export class DecisionNotAllowedError extends Error {}

/**
 * Stage rules on top of the decision schema; the API checks them before it accepts a decision
 * and the graph again when it resumes, so a resume from Studio is held to the same rules.
 */
export function decisionProblem(decision: Decision, card: ReviewCard): string | null {
  if (!card.allowed_decisions.includes(decision.type)) {
    return decision.type === "revise"
      ? `no revisions left: ${card.revision.count} of ${card.revision.limit} used`
      : `'${decision.type}' is not allowed on this review`;
  }
  if (decision.type === "edit") {
    if (card.stage === "answer" && decision.answer === undefined) {
      return "an edit of an answer needs `answer` (the corrected text)";
    }
    if (card.stage === "retrieval" && decision.chunk_ids === undefined) {
      return "an edit of the evidence needs `chunk_ids` (the passages to answer from)";
    }
  }
  return null;
}

export function assertDecisionAllowed(decision: Decision, card: ReviewCard): void {
  const problem = decisionProblem(decision, card);
  if (problem) throw new DecisionNotAllowedError(problem);
}
