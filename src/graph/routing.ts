import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { settingsOf } from "./configuration.js";
import { answerGate, retrievalGate } from "./gates.js";
import {
  answerReviewOutcomes,
  retrievalReviewOutcomes,
  type AnswerReviewOutcome,
  type RetrievalReviewOutcome,
} from "./review-outcome.js";
import type { State } from "./state.js";

/**
 * The graph's routers. Each returns a named outcome; src/graph/graph.ts maps the outcomes to
 * nodes, so the wiring reads as the rules it follows.
 */

export type GuardOutcome = "blocked" | "allowed";
export type GateOutcome = "passed" | "held";
export type JudgeOutcome = GateOutcome | "revised_on_request";

/** After the guard: blocked requests are refused, everything else is answered. */
export function routeAfterGuard(state: State): GuardOutcome {
  return state.riskTier === "blocked" ? "blocked" : "allowed";
}

/** The retrieval gate (src/graph/gates.ts). */
export function routeAfterRetrieve(state: State, config: LangGraphRunnableConfig): GateOutcome {
  return retrievalGate({ score: state.retrieval?.score }, settingsOf(config)).pass
    ? "passed"
    : "held";
}

/**
 * After the judge: a draft revised on a reviewer's request goes back to them; any other draft
 * meets the answer gate (src/graph/gates.ts).
 */
export function routeAfterJudge(state: State, config: LangGraphRunnableConfig): JudgeOutcome {
  if (state.revisionInstructions !== undefined) return "revised_on_request";
  return answerGate(state, settingsOf(config)).pass ? "passed" : "held";
}

export function routeAfterRetrievalReview(state: State): RetrievalReviewOutcome {
  return recordedOutcome(state, retrievalReviewOutcomes, "review_retrieval");
}

export function routeAfterAnswerReview(state: State): AnswerReviewOutcome {
  return recordedOutcome(state, answerReviewOutcomes, "review_answer");
}

/** The outcome the review node just recorded: every return of a review node sets one. */
function recordedOutcome<O extends string>(state: State, outcomes: readonly O[], node: string): O {
  const outcome = outcomes.find((o) => o === state.reviewOutcome);
  if (outcome === undefined) {
    throw new Error(`${node} finished without an outcome of its own (${state.reviewOutcome})`);
  }
  return outcome;
}
