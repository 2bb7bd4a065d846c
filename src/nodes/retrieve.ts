import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import { latestDecision, type State, type Update } from "../graph/state.js";

/** Finds passages for the question; after a retrieval revise, the reviewer's hints join the query. */
export async function retrieve(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { providers, topK } = ensureConfiguration(config);
  const last = latestDecision(state);
  const hint = last?.type === "revise" && last.stage === "retrieval" ? ` ${last.instructions}` : "";
  const retrieval = await providers.retriever.retrieve(state.question + hint, topK);
  return { retrieval, evidence: retrieval.passages };
}
