import type { ReviewStage } from "../graph/decision.js";

/**
 * What the review page's script needs, written by the server into
 * `<script type="application/json" id="review-data">` (JSON is not executed, so the CSP allows
 * it) and read by src/ui/browser/review.ts.
 */
export interface ReviewPageData {
  review_id: string;
  /** The card version a decision is made on; the API refuses a stale one. */
  version: string;
  stage: ReviewStage;
  pending: boolean;
  draft: string | null;
  claim: { by: string | null; until: string | null };
  me: string;
  admin: boolean;
  /** The claim lease: the page renews its claim at a third of it. */
  leaseSeconds: number;
  /** Where to go after a decision (the next item, or the queue). */
  nextUrl: string;
  queueUrl: string;
  loginUrl: string;
}

export const REVIEW_DATA_ID = "review-data";
