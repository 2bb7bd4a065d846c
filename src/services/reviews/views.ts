import { createHash } from "node:crypto";
import type { HumanInterrupt } from "@langchain/langgraph/prebuilt";
import type { Decision, DecisionType, ReviewStage } from "../../graph/decision.js";
import type { ReviewCard } from "../../graph/review-card.js";
import type { VoteRow } from "../../repositories/review-votes.js";
import {
  cardOf,
  interruptOf,
  type ReviewRow,
  type ReviewStatus,
} from "../../repositories/reviews.js";

/** A review as the queue lists it. */
export interface ReviewListItem {
  review_id: string;
  thread_id: string;
  stage: ReviewStage;
  status: ReviewStatus;
  priority: number;
  risk_tier: string;
  reason: string;
  /** The reason as a key items with the same cause share, e.g. "retrieval:no_passages". */
  reason_key: string;
  question: string;
  queue: "main" | "escalation";
  claimed_by: string | null;
  claim_expires_at: string | null;
  due_at: string | null;
  escalated_at: string | null;
  created_at: string;
  decided_at: string | null;
  decision_type: DecisionType | null;
}

/** A review with everything the reviewer decides on. */
export interface ReviewView extends ReviewListItem {
  /** Digest of what the reviewer is shown; a decision made on another version is refused. */
  version: string;
  trigger: ReviewRow["trigger"];
  card: ReviewCard;
  /** The Agent Inbox HumanInterrupt as raised by the graph. */
  interrupt: HumanInterrupt;
  decision: Decision | null;
  decided_by: string | null;
  approvals: {
    required: number;
    votes: { actor: string; decision_type: DecisionType; at: string }[];
  };
  fallback_at: string | null;
}

/** A reviewer's lease on an item. */
export interface LiveClaim {
  by: string;
  until: Date;
}

/** A claim counts only while its lease runs. */
export function liveClaim(row: ReviewRow, now: Date): LiveClaim | null {
  return row.claimed_by && row.claim_expires_at && row.claim_expires_at > now
    ? { by: row.claimed_by, until: row.claim_expires_at }
    : null;
}

export function toListItem(row: ReviewRow, now: Date): ReviewListItem {
  const claim = row.status === "pending" ? liveClaim(row, now) : null;
  return {
    review_id: row.review_id,
    thread_id: row.thread_id,
    stage: row.stage,
    status: row.status,
    priority: row.priority,
    risk_tier: row.risk_tier,
    reason: row.reason,
    reason_key: row.reason_key,
    question: cardOf(row).question,
    queue: row.queue,
    claimed_by: claim?.by ?? null,
    claim_expires_at: claim?.until.toISOString() ?? null,
    due_at: row.due_at?.toISOString() ?? null,
    escalated_at: row.escalated_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    decided_at: row.decided_at?.toISOString() ?? null,
    decision_type: row.decision_type,
  };
}

/** What the reviewer sees that can change while the item waits: the card, votes, escalation. */
export function versionOf(row: ReviewRow, votes: VoteRow[]): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        row.interrupt_id,
        row.interrupt,
        row.status,
        row.escalated_at,
        votes.map((v) => [v.actor, v.decision_type]),
      ]),
    )
    .digest("base64url")
    .slice(0, 16);
}

export function toView(row: ReviewRow, votes: VoteRow[], now: Date): ReviewView {
  return {
    ...toListItem(row, now),
    version: versionOf(row, votes),
    trigger: row.trigger,
    card: cardOf(row),
    interrupt: interruptOf(row),
    decision: row.decision,
    decided_by: row.decided_by,
    approvals: {
      required: row.approvals_required,
      votes: votes.map((v) => ({
        actor: v.actor,
        decision_type: v.decision_type,
        at: v.created_at.toISOString(),
      })),
    },
    fallback_at: row.fallback_at?.toISOString() ?? null,
  };
}
