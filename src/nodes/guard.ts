import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import { classifyRequest } from "../graph/policy.js";
import type { State, Update } from "../graph/state.js";

/** Pre-inference HITL: classifies the request by policy into a risk tier. */
export function guard(state: State, config: LangGraphRunnableConfig): Update {
  const { policy } = ensureConfiguration(config);
  const { tier, matches } = classifyRequest(state.question, policy);
  return { riskTier: tier, policyMatches: matches, revisionCount: 0, auditSample: false };
}
