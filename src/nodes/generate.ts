import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import type { State, Update } from "../graph/state.js";

/** Writes a cited draft from the evidence; on a revise it follows the reviewer's instructions. */
export async function generate(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { providers, prompts } = ensureConfiguration(config);
  const instructions = state.revisionInstructions;
  const draft = await providers.generator.generate({
    question: state.question,
    evidence: state.evidence,
    instructions,
    previousDraft: instructions !== undefined ? state.draft?.text : undefined,
    prompt: prompts?.generator,
  });
  return { draft };
}
