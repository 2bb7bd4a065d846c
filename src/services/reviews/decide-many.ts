import type { Decision } from "../../graph/decision.js";
import { ServiceError } from "../errors.js";
import { decide, type DecisionOutcome } from "./decide.js";
import type { Caller, ReviewServiceDeps } from "./deps.js";

/** One item of a bulk decision, as the reviewer selected it. */
export interface BulkItem {
  review_id: string;
  /** The card version the reviewer saw; a changed card refuses this item alone. */
  version?: string;
}

export interface BulkItemResult {
  review_id: string;
  outcome: DecisionOutcome | "refused";
  thread_id: string | null;
  /** Why this item was refused (stale version, already decided, claimed by someone else …). */
  error: { code: string; message: string } | null;
}

/**
 * The same decision on many reviews (items that share a reason), each exactly as if it were
 * decided alone: its own transaction, version check, claim check, approvals (a vote where policy
 * wants several), decision row, audit event, feedback and resume run. One item's refusal refuses
 * only that item. Any other failure (the database going away) stops the rest; retrying the whole
 * request is safe, since the items already decided answer `already_decided`.
 */
export async function decideMany(
  deps: ReviewServiceDeps,
  items: readonly BulkItem[],
  decision: Decision,
  caller: Caller,
): Promise<BulkItemResult[]> {
  const results: BulkItemResult[] = [];
  for (const item of items) {
    try {
      const done = await decide(deps, item.review_id, decision, caller, { version: item.version });
      results.push({
        review_id: item.review_id,
        outcome: done.outcome,
        thread_id: done.thread_id,
        error: null,
      });
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      results.push({
        review_id: item.review_id,
        outcome: "refused",
        thread_id: null,
        error: { code: error.code, message: error.message },
      });
    }
  }
  return results;
}
