import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import { latestDecision, type State, type Update } from "../graph/state.js";

/** Writes a cited draft from the evidence; on a revise it follows the reviewer's instructions. */
export async function generate(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { providers } = ensureConfiguration(config);
  const last = latestDecision(state);
  const revising = last?.type === "revise" && last.stage === "answer";
  const draft = await providers.generator.generate({
    question: state.question,
    evidence: state.evidence,
    instructions: revising ? last.instructions : undefined,
    previousDraft: revising ? state.draft?.text : undefined,
  });
  return { draft };
}
