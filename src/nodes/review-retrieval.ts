import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import { parseResumeValue } from "../graph/decision.js";
import { assertDecisionAllowed, DecisionNotAllowedError } from "../graph/decision-rules.js";
import { buildReviewCard, retrievalReasons, toHumanInterrupt } from "../graph/review-card.js";
import type { State, Update } from "../graph/state.js";

/**
 * Retrieval review: a human curates the evidence before anything is generated. Nothing with a
 * side effect happens before interrupt(): this node re-runs from the top when it resumes.
 */
export async function reviewRetrieval(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const cfg = ensureConfiguration(config);
  const card = buildReviewCard("retrieval", state, cfg, retrievalReasons(state, cfg));
  const decision = parseResumeValue(interrupt(toHumanInterrupt(card)));
  assertDecisionAllowed(decision, card);
  const recorded = { ...decision, stage: "retrieval" as const };

  if (decision.type === "edit" && decision.chunk_ids) {
    const evidence = await cfg.providers.retriever.getPassages(decision.chunk_ids);
    if (evidence.length !== decision.chunk_ids.length) {
      throw new DecisionNotAllowedError("some chunk_ids are not passages of the knowledge base");
    }
    return { decisions: [recorded], evidence };
  }
  if (decision.type === "revise") {
    return { decisions: [recorded], revisionCount: state.revisionCount + 1 };
  }
  return { decisions: [recorded] };
}
