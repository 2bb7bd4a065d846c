import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration, type Configuration } from "../graph/configuration.js";
import { answerMessages } from "../graph/conversation.js";
import { latestDecision, type Provenance, type State, type Update } from "../graph/state.js";

type Settled = { answer: string; provenance: Provenance; fallbackReason?: string };

/** Settles the final answer and where it came from, and adds it to the conversation. */
export function respond(state: State, config: LangGraphRunnableConfig): Update {
  const settled = settle(state, ensureConfiguration(config));
  return { ...settled, messages: answerMessages(state, settled.answer, settled.provenance) };
}

function settle(state: State, cfg: Configuration): Settled {
  if (state.riskTier === "blocked") {
    const rules = state.policyMatches.filter((m) => m.tier === "blocked").map((m) => m.rule);
    return {
      answer: cfg.policy.refusal,
      provenance: "fallback",
      fallbackReason: `refused by policy (${rules.join(", ")})`,
    };
  }
  const last = latestDecision(state);
  if (last?.type === "reject") {
    const why = last.reasons.length ? `: ${last.reasons.join("; ")}` : "";
    return {
      answer: cfg.fallbackAnswer,
      provenance: "fallback",
      fallbackReason: `rejected at ${last.stage} review${why}`,
    };
  }
  if (last?.type === "respond") return { answer: last.answer, provenance: "human" };
  if (last?.stage === "answer" && last.type === "edit" && last.answer) {
    return { answer: last.answer, provenance: "edited" };
  }
  if (!state.draft) throw new Error("respond reached without a draft or a human answer");
  // A retrieval-stage approval vouches for the evidence, not the answer: that stays "auto".
  const approved = last?.stage === "answer" && last.type === "approve";
  return { answer: state.draft.text, provenance: approved ? "approved" : "auto" };
}
