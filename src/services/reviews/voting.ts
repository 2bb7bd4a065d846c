import type { Decision, ReviewStage } from "../../graph/decision.js";
import type { Caller } from "./deps.js";

/** Whoever decides; `system` is the SLA sweeper resolving an overdue item. */
export interface Voter extends Caller {
  system: boolean;
}

/** One decision offered on a pending review, with what has been voted on it so far. */
export interface Ballot {
  stage: ReviewStage;
  decision: Decision;
  voter: Voter;
  /** Sign-offs the review policy wants for this item (fixed when the review was created). */
  approvalsRequired: number;
  /** Votes already cast on the item, oldest first. */
  votes: readonly { actor: string; decision_type: string }[];
}

export type VotingVerdict =
  /**
   * The decision stands: the review is decided now. `recordVote`: the approval that completes
   * the count is kept with the others, so the decided review lists every sign-off.
   */
  | { verdict: "final"; recordVote: boolean }
  /**
   * Recorded as a vote and the review stays pending, with `approvals` counted once it is in;
   * with `escalate`, the item goes to an admin, and that is why.
   */
  | { verdict: "vote"; approvals: number; escalate?: string }
  /** This voter may not vote on this item now. */
  | { verdict: "refused"; code: "already_voted" | "escalated_to_admin"; message: string };

/**
 * The review policy's voting rule. With one sign-off wanted, or when an admin or the SLA sweeper
 * decides, a decision is final. Otherwise each reviewer votes once; only an answer-stage approval
 * counts towards the sign-offs, and the one that completes them decides the item. An answer a
 * reviewer wrote (respond, or an edit with an answer) needs a second pair of eyes, and an
 * objection after an approval is a dispute: both escalate the item, and from then on only an
 * admin decides it. Anything else offered first (a reject, a revise, a retrieval-stage decision)
 * is final.
 */
export function castVote(ballot: Ballot): VotingVerdict {
  const { stage, decision, voter, approvalsRequired, votes } = ballot;
  if (approvalsRequired <= 1 || voter.system || voter.admin) {
    return { verdict: "final", recordVote: false };
  }
  if (votes.some((v) => v.actor === voter.name)) {
    return {
      verdict: "refused",
      code: "already_voted",
      message: `${voter.name} has already voted on this item`,
    };
  }
  if (votes.some((v) => v.decision_type !== "approve")) {
    return {
      verdict: "refused",
      code: "escalated_to_admin",
      message: "reviewers disagreed on this item; an admin decides it now",
    };
  }
  const approvals = votes.length;
  const writesAnswer =
    decision.type === "respond" || (decision.type === "edit" && decision.answer !== undefined);
  const counts = stage === "answer" && decision.type === "approve";
  if (writesAnswer) {
    return {
      verdict: "vote",
      approvals,
      escalate: "a reviewer wrote the answer; policy wants a second sign-off",
    };
  }
  if (!counts && approvals > 0)
    return { verdict: "vote", approvals, escalate: "reviewers disagreed" };
  if (counts && approvals + 1 < approvalsRequired) {
    return { verdict: "vote", approvals: approvals + 1 };
  }
  return { verdict: "final", recordVote: counts };
}
