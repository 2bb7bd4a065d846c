import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import { askedQuestion } from "../graph/conversation.js";
import { classifyRequest } from "../graph/policy.js";
import type { State, Update } from "../graph/state.js";

/**
 * Pre-inference HITL: settles the question (from `question`, or the last human message) and
 * classifies it by policy into a risk tier.
 */
export function guard(state: State, config: LangGraphRunnableConfig): Update {
  const { policy } = ensureConfiguration(config);
  const { question, messages } = askedQuestion(state);
  const { tier, matches } = classifyRequest(question, policy);
  return {
    question,
    messages,
    riskTier: tier,
    policyMatches: matches,
    revisionCount: 0,
    auditSample: false,
  };
}
