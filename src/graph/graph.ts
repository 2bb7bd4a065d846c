import { END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import { generate } from "../nodes/generate.js";
import { guard } from "../nodes/guard.js";
import { judge } from "../nodes/judge.js";
import { respond } from "../nodes/respond.js";
import { retrieve } from "../nodes/retrieve.js";
import { reviewAnswer } from "../nodes/review-answer.js";
import { reviewRetrieval } from "../nodes/review-retrieval.js";
import { graphContextSchema } from "./configuration.js";
import { bindHostContext, type HostContext } from "./host-context.js";
import type { AnswerReviewOutcome, RetrievalReviewOutcome } from "./review-outcome.js";
import {
  type GateOutcome,
  type GuardOutcome,
  type JudgeOutcome,
  routeAfterAnswerReview,
  routeAfterGuard,
  routeAfterJudge,
  routeAfterRetrievalReview,
  routeAfterRetrieve,
} from "./routing.js";
import { GraphInput, GraphState } from "./state.js";

/**
 * The signoff graph: wiring only. Nodes live in src/nodes, routers in ./routing.ts (each returns
 * a named outcome, mapped to a node here), the runtime context in ./configuration.ts. `host`
 * is bound only by hosts that cannot pass the context with each run (./host-context.ts).
 */
export function buildGraph(host?: HostContext) {
  const bound = bindHostContext(host);
  return new StateGraph({ state: GraphState, input: GraphInput, context: graphContextSchema })
    .addNode("guard", bound(guard))
    .addNode("retrieve", bound(retrieve))
    .addNode("review_retrieval", bound(reviewRetrieval))
    .addNode("generate", bound(generate))
    .addNode("judge", bound(judge))
    .addNode("review_answer", bound(reviewAnswer))
    .addNode("respond", bound(respond))
    .addEdge(START, "guard")
    .addConditionalEdges("guard", routeAfterGuard, {
      allowed: "retrieve",
      blocked: "respond",
    } as const satisfies Record<GuardOutcome, string>)
    .addConditionalEdges("retrieve", bound(routeAfterRetrieve), {
      passed: "generate",
      held: "review_retrieval",
    } as const satisfies Record<GateOutcome, string>)
    .addConditionalEdges("review_retrieval", routeAfterRetrievalReview, {
      ask_again: "review_retrieval",
      use_evidence: "generate",
      search_again: "retrieve",
      settled: "respond",
    } as const satisfies Record<RetrievalReviewOutcome, string>)
    .addEdge("generate", "judge")
    .addConditionalEdges("judge", bound(routeAfterJudge), {
      passed: "respond",
      held: "review_answer",
      // A draft revised on a reviewer's request always goes back to review, whatever its scores.
      revised_on_request: "review_answer",
    } as const satisfies Record<JudgeOutcome, string>)
    .addConditionalEdges("review_answer", routeAfterAnswerReview, {
      ask_again: "review_answer",
      revise_answer: "generate",
      settled: "respond",
    } as const satisfies Record<AnswerReviewOutcome, string>)
    .addEdge("respond", END);
}

export function compileGraph(checkpointer?: BaseCheckpointSaver, host?: HostContext) {
  return buildGraph(host).compile({ checkpointer, name: "signoff" });
}

export type SignoffGraph = ReturnType<typeof compileGraph>;
