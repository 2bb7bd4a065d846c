/**
 * The review services, one job a module under ./reviews/: the queue and the card (queue.ts,
 * views.ts, cursor.ts), claims (claims.ts), decisions (decide.ts) with the voting rule
 * (voting.ts), and escalation (escalate.ts). Callers import from here.
 */
export { claim, heartbeat, release } from "./reviews/claims.js";
export { decodeCursor, encodeCursor } from "./reviews/cursor.js";
export {
  decide,
  type DecideOptions,
  type DecisionOutcome,
  type DecisionResult,
} from "./reviews/decide.js";
export { decideMany, type BulkItem, type BulkItemResult } from "./reviews/decide-many.js";
export { callerFor, type Caller, type ReviewServiceDeps } from "./reviews/deps.js";
export { escalate } from "./reviews/escalate.js";
export { listReasons, reasonLabel, type ReasonGroupView } from "./reviews/reasons.js";
export { getReview, listReviews, reviewEvents, type ListFilter } from "./reviews/queue.js";
export { versionOf, type ReviewListItem, type ReviewView } from "./reviews/views.js";
export { castVote, type Ballot, type Voter, type VotingVerdict } from "./reviews/voting.js";
