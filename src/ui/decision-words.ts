import type { DecisionType } from "../graph/decision.js";

/** A decision in words, as in "This item was approved with edits" (the page and its script). */
export const DECISION_WORDS: Record<string, string> = {
  approve: "approved",
  edit: "approved with edits",
  respond: "answered directly",
  reject: "rejected",
  revise: "sent back for a revision",
} satisfies Record<DecisionType, string>;
