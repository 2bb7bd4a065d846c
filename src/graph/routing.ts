import { ensureConfiguration } from "./configuration.js";
import { latestDecision, type State } from "./state.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";

/** After the guard: blocked requests are refused, everything else is answered. */
export function routeAfterGuard(state: State): "retrieve" | "respond" {
  return state.riskTier === "blocked" ? "respond" : "retrieve";
}

/** The retrieval gate. */
export function routeAfterRetrieve(
  state: State,
  config: LangGraphRunnableConfig,
): "generate" | "review_retrieval" {
  const { retrievalThreshold } = ensureConfiguration(config);
  return (state.retrieval?.score ?? 0) >= retrievalThreshold ? "generate" : "review_retrieval";
}

export function routeAfterRetrievalReview(
  state: State,
): "review_retrieval" | "generate" | "retrieve" | "respond" {
  if (state.refusedDecision) return "review_retrieval"; // ask again, saying why
  switch (latestDecision(state)?.type) {
    case "approve":
    case "edit":
      return "generate";
    case "revise":
      return "retrieve";
    default:
      return "respond";
  }
}

/**
 * The answer gate: only a low-risk answer the judge scored at or over the threshold, with no
 * flags, goes out unreviewed; audit samples and answers revised on a reviewer's request go back.
 */
export function routeAfterJudge(
  state: State,
  config: LangGraphRunnableConfig,
): "respond" | "review_answer" {
  const { judgeThreshold } = ensureConfiguration(config);
  const judgment = state.judgment;
  const last = latestDecision(state);
  const passes =
    judgment !== undefined &&
    judgment.score >= judgeThreshold &&
    judgment.flags.length === 0 &&
    state.riskTier === "low" &&
    !state.auditSample &&
    !(last?.stage === "answer" && last.type === "revise");
  return passes ? "respond" : "review_answer";
}

export function routeAfterAnswerReview(state: State): "review_answer" | "generate" | "respond" {
  if (state.refusedDecision) return "review_answer"; // ask again, saying why
  return latestDecision(state)?.type === "revise" ? "generate" : "respond";
}
