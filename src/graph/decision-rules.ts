import { z } from "zod";
import { parseResumeValue, type Decision } from "./decision.js";
import type { ReviewCard } from "./review-card.js";

/**
 * Stage rules on top of the decision schema; the API checks them before it accepts a decision
 * and the graph again when it resumes, so a resume from Studio is held to the same rules.
 */
export function decisionProblem(decision: Decision, card: ReviewCard): string | null {
  if (!card.allowed_decisions.includes(decision.type)) {
    return decision.type === "revise"
      ? `no revisions left: ${card.revision.count} of ${card.revision.limit} used`
      : `'${decision.type}' is not allowed on this review`;
  }
  if (decision.type === "edit") {
    if (card.stage === "answer" && decision.answer === undefined) {
      return "an edit of an answer needs `answer` (the corrected text)";
    }
    if (card.stage === "retrieval" && decision.chunk_ids === undefined) {
      return "an edit of the evidence needs `chunk_ids` (the passages to answer from)";
    }
  }
  return null;
}

export type Verdict = { ok: true; decision: Decision } | { ok: false; problem: string };

/** Parses and checks a resume value; a refusal is returned, not thrown, so the node can ask again. */
export function acceptDecision(value: unknown, card: ReviewCard): Verdict {
  let decision: Decision;
  try {
    decision = parseResumeValue(value);
  } catch (error) {
    const issues =
      error instanceof z.ZodError
        ? error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`)
        : [String(error)];
    return {
      ok: false,
      problem: `the resume value is not a valid decision (${issues.join("; ")})`,
    };
  }
  const problem = decisionProblem(decision, card);
  return problem ? { ok: false, problem } : { ok: true, decision };
}
