import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import { acceptDecision } from "../graph/decision-rules.js";
import { retrievalOutcomeOf } from "../graph/review-outcome.js";
import { buildReviewCard, retrievalReasons, toHumanInterrupt } from "../graph/review-card.js";
import type { State, Update } from "../graph/state.js";

/**
 * Retrieval review: a human curates the evidence before anything is generated. Nothing with a
 * side effect happens before interrupt(): this node re-runs from the top when it resumes.
 */
export async function reviewRetrieval(
  state: State,
  config: LangGraphRunnableConfig,
): Promise<Update> {
  const cfg = ensureConfiguration(config);
  const card = buildReviewCard("retrieval", state, cfg, retrievalReasons(state, cfg));
  const verdict = acceptDecision(interrupt(toHumanInterrupt(card)), card);
  if (!verdict.ok) return askAgain(verdict.problem);
  const recorded = { ...verdict.decision, stage: "retrieval" as const };
  const accepted = {
    decisions: [recorded],
    reviewOutcome: retrievalOutcomeOf(recorded),
    refusedDecision: undefined,
  };

  if (recorded.type === "edit" && recorded.chunk_ids) {
    const evidence = await cfg.providers.retriever.getPassages(recorded.chunk_ids);
    if (evidence.length !== new Set(recorded.chunk_ids).size) {
      return askAgain("some chunk_ids are not passages of the knowledge base");
    }
    return { ...accepted, evidence };
  }
  if (recorded.type === "revise") return { ...accepted, revisionCount: state.revisionCount + 1 };
  return accepted;
}

function askAgain(problem: string): Update {
  return { refusedDecision: problem, reviewOutcome: "ask_again" };
}
