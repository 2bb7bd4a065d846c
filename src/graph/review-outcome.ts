import type { Decision } from "./decision.js";

/**
 * What a review decided the graph does next, as the review node records it in state; the router
 * after each review node only looks it up, and src/graph/graph.ts maps each outcome to a node.
 * - ask_again: the resume value was refused (see `refusedDecision`), the node asks again;
 * - use_evidence: generate from the evidence (approved as it is, or as the reviewer curated it);
 * - search_again: retrieve again with the reviewer's hints;
 * - revise_answer: write a new draft following the reviewer's instructions;
 * - settled: the reviewer approved, edited, answered or rejected; respond.
 */
export const retrievalReviewOutcomes = [
  "ask_again",
  "use_evidence",
  "search_again",
  "settled",
] as const;
export const answerReviewOutcomes = ["ask_again", "revise_answer", "settled"] as const;

export type RetrievalReviewOutcome = (typeof retrievalReviewOutcomes)[number];
export type AnswerReviewOutcome = (typeof answerReviewOutcomes)[number];
export type ReviewOutcome = RetrievalReviewOutcome | AnswerReviewOutcome;

/** The outcome of an accepted decision at the retrieval stage. */
export function retrievalOutcomeOf(decision: Decision): RetrievalReviewOutcome {
  switch (decision.type) {
    case "approve":
    case "edit":
      return "use_evidence";
    case "revise":
      return "search_again";
    default:
      return "settled";
  }
}

/** The outcome of an accepted decision at the answer stage. */
export function answerOutcomeOf(decision: Decision): AnswerReviewOutcome {
  return decision.type === "revise" ? "revise_answer" : "settled";
}
