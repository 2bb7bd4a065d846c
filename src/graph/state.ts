import { Annotation } from "@langchain/langgraph";
import type { Draft, Judgment, Passage, RetrievalResult } from "../providers/types.js";
import type { PolicyMatch, RiskTier } from "./policy.js";
import type { StageDecision } from "./decision.js";

export const provenances = ["auto", "approved", "edited", "human", "fallback"] as const;
/** Where the final answer came from. */
export type Provenance = (typeof provenances)[number];

export const GraphInput = Annotation.Root({
  /** The user's question, as asked. */
  question: Annotation<string>,
  /** Caller metadata (user id, channel …), carried along untouched. */
  metadata: Annotation<Record<string, unknown>>,
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
   * Why the last resume value was refused (malformed, or not allowed on that review). Set, the
   * review node asks again; the API validates first, so this only happens to resumes sent
   * straight to the graph (Studio, the SDK).
   */
  refusedDecision: Annotation<string | undefined>,
  /** Every human decision on this thread, oldest first; routing reads the latest. */
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
