import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import { acceptDecision } from "../graph/decision-rules.js";
import { answerOutcomeOf } from "../graph/review-outcome.js";
import { answerReasons, buildReviewCard, toHumanInterrupt } from "../graph/review-card.js";
import type { State, Update } from "../graph/state.js";

/**
 * Answer review: a human signs off the draft before it reaches the user. Nothing with a side
 * effect happens before interrupt(): this node re-runs from the top when it resumes.
 */
export function reviewAnswer(state: State, config: LangGraphRunnableConfig): Update {
  const cfg = ensureConfiguration(config);
  const card = buildReviewCard("answer", state, cfg, answerReasons(state, cfg));
  const verdict = acceptDecision(interrupt(toHumanInterrupt(card)), card);
  if (!verdict.ok) return { refusedDecision: verdict.problem, reviewOutcome: "ask_again" };
  const recorded = { ...verdict.decision, stage: "answer" as const };
  const revise = recorded.type === "revise";
  return {
    decisions: [recorded],
    reviewOutcome: answerOutcomeOf(recorded),
    revisionInstructions: revise ? recorded.instructions : undefined,
    ...(revise ? { revisionCount: state.revisionCount + 1 } : {}),
    refusedDecision: undefined,
  };
}
