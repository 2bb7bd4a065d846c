import { Annotation, MessagesAnnotation } from "@langchain/langgraph";
import type { Draft, Judgment, Passage, RetrievalResult } from "../providers/types.js";
import type { PolicyMatch, RiskTier } from "./policy.js";
import type { StageDecision } from "./decision.js";
import type { ReviewOutcome } from "./review-outcome.js";

export const provenances = ["auto", "approved", "edited", "human", "fallback"] as const;
/** Where the final answer came from. */
export type Provenance = (typeof provenances)[number];

/**
 * What a run takes: `question`, or `messages` (chat clients send `{messages: [human]}`); every
 * key is optional in an input. The guard settles `question` (src/graph/conversation.ts), so it is
 * set for every node after it.
 */
export const GraphInput = Annotation.Root({
  /** The user's question, as asked; from the last human message when the input has none. */
  question: Annotation<string>,
  /** Caller metadata (user id, channel …), carried along untouched. */
  metadata: Annotation<Record<string, unknown>>,
  /**
   * The conversation: the human question, then the answer sent (an AI message, whatever its
   * provenance). Appended to by LangGraph's messages reducer; empty in checkpoints older than it.
   */
  ...MessagesAnnotation.spec,
});

export const GraphState = Annotation.Root({
  ...GraphInput.spec,
  /** The guard's risk tier: low answers may go out unreviewed, blocked ones are refused. */
  riskTier: Annotation<RiskTier>,
  /** Policy rules that matched the question, with their plain-words descriptions. */
  policyMatches: Annotation<PolicyMatch[]>,
  /** What the retriever returned for the question (and the reviewer's query, after a revise). */
  retrieval: Annotation<RetrievalResult | undefined>,
  /** Passages generation must use: the retrieved ones, or those a reviewer curated. */
  evidence: Annotation<Passage[]>,
  /** The latest draft answer. */
  draft: Annotation<Draft | undefined>,
  /** The judge's verdict on the latest draft. */
  judgment: Annotation<Judgment | undefined>,
  /** Whether this answer passed the gates but was picked for an audit review anyway. */
  auditSample: Annotation<boolean>,
  /** Revisions asked for by reviewers so far; bounded by the revision limit. */
  revisionCount: Annotation<number>,
  /**
   * The reviewer's instructions the current draft follows: set by an answer review's revise,
   * cleared by its other decisions. Such a draft goes back to review whatever the answer gate
   * says (src/graph/graph.ts). Unset in checkpoints older than the field, as it is at the start.
   */
  revisionInstructions: Annotation<string | undefined>,
  /**
   * What the latest review decided the graph does next (src/graph/review-outcome.ts); the
   * router after each review node looks it up. Unset until a review node has run.
   */
  reviewOutcome: Annotation<ReviewOutcome | undefined>,
  /**
   * Why the last resume value was refused (malformed, or not allowed on that review): the
   * review node asks again, saying why. The API validates first, so this only happens to
   * resumes sent straight to the graph (Studio, the SDK).
   */
  refusedDecision: Annotation<string | undefined>,
  /** Every human decision on this thread, oldest first: the audit trail, and what `respond` settles. */
  decisions: Annotation<StageDecision[]>({
    reducer: (existing, added) => existing.concat(added),
    default: () => [],
  }),
  /** The answer sent to the user. */
  answer: Annotation<string | undefined>,
  /** Where the answer came from. */
  provenance: Annotation<Provenance | undefined>,
  /** Why the fallback reply was sent, when it was. */
  fallbackReason: Annotation<string | undefined>,
});

export type State = typeof GraphState.State;
export type Update = typeof GraphState.Update;

export function latestDecision(state: Pick<State, "decisions">): StageDecision | undefined {
  return state.decisions.at(-1);
}
