import { createHash } from "node:crypto";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ensureConfiguration } from "../graph/configuration.js";
import type { State, Update } from "../graph/state.js";

/** Scores the draft; also decides (deterministically per thread) whether it is an audit sample. */
export async function judge(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const cfg = ensureConfiguration(config);
  if (!state.draft) throw new Error("judge ran without a draft");
  const judgment = await cfg.providers.judge.judge({
    question: state.question,
    evidence: state.evidence,
    draft: state.draft,
    prompt: cfg.prompts?.judge,
  });
  return { judgment, auditSample: sampledForAudit(cfg.threadId, cfg.auditSampleRate) };
}

/** A stable draw in [0, 1) per thread, so re-running the node cannot change the outcome. */
export function sampledForAudit(threadId: string, rate: number): boolean {
  if (rate <= 0) return false;
  const draw = createHash("sha256").update(`audit:${threadId}`).digest().readUInt32BE(0) / 2 ** 32;
  return draw < rate;
}
