import { flagWords } from "../../graph/gates.js";
import type { ReviewStage } from "../../graph/decision.js";
import { pendingReasonGroups } from "../../repositories/reviews.js";
import type { JudgeFlag } from "../../providers/types.js";
import type { ReviewServiceDeps } from "./deps.js";

/** Pending items that paused for the same reason: what a reviewer may decide together. */
export interface ReasonGroupView {
  reason_key: string;
  stage: ReviewStage;
  /** The reason in plain words, e.g. "retrieval gap — no passage scores at the threshold". */
  label: string;
  count: number;
}

const FIXED: Record<string, string> = {
  "retrieval:no_passages": "retrieval gap — no passage of the knowledge base matches the question",
  "retrieval:low_score": "retrieval gap — no passage scores at the retrieval threshold",
  "retrieval:sign_off": "evidence waiting for a sign-off",
  "judge:not_judged": "the draft has not been judged",
  "judge:low_score": "judge score under the threshold",
  "audit:sample": "audit sample — the answer passed every gate",
  "answer:sign_off": "answer waiting for a sign-off",
};

/** A reason key (migration 0017 lists them) in plain words. */
export function reasonLabel(key: string, ruleDescription?: string | null): string {
  const fixed = FIXED[key];
  if (fixed) return fixed;
  const [kind, ...rest] = key.split(":");
  const what = rest.join(":");
  if (kind === "policy") {
    return ruleDescription ? `policy rule ${what} — ${ruleDescription}` : `policy rule ${what}`;
  }
  if (kind === "risk") return `${what}-risk question`;
  if (kind === "judge" && what in flagWords) return `judge flag — ${flagWords[what as JudgeFlag]}`;
  return key;
}

/** The pending queue grouped by reason, largest group first. */
export async function listReasons(
  deps: Pick<ReviewServiceDeps, "pool">,
): Promise<ReasonGroupView[]> {
  return (await pendingReasonGroups(deps.pool)).map((g) => ({
    reason_key: g.reason_key,
    stage: g.stage,
    label: reasonLabel(g.reason_key, g.rule_description),
    count: g.count,
  }));
}
