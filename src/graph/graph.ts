import { END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import { generate } from "../nodes/generate.js";
import { guard } from "../nodes/guard.js";
import { judge } from "../nodes/judge.js";
import { respond } from "../nodes/respond.js";
import { retrieve } from "../nodes/retrieve.js";
import { reviewAnswer } from "../nodes/review-answer.js";
import { reviewRetrieval } from "../nodes/review-retrieval.js";
import {
  routeAfterAnswerReview,
  routeAfterGuard,
  routeAfterJudge,
  routeAfterRetrievalReview,
  routeAfterRetrieve,
} from "./routing.js";
import { GraphInput, GraphState } from "./state.js";

/** The signoff graph: wiring only. Nodes live in src/nodes, routing in ./routing.ts. */
export function buildGraph() {
  return new StateGraph({ stateSchema: GraphState, input: GraphInput })
    .addNode("guard", guard)
    .addNode("retrieve", retrieve)
    .addNode("review_retrieval", reviewRetrieval)
    .addNode("generate", generate)
    .addNode("judge", judge)
    .addNode("review_answer", reviewAnswer)
    .addNode("respond", respond)
    .addEdge(START, "guard")
    .addConditionalEdges("guard", routeAfterGuard, ["retrieve", "respond"])
    .addConditionalEdges("retrieve", routeAfterRetrieve, ["generate", "review_retrieval"])
    .addConditionalEdges("review_retrieval", routeAfterRetrievalReview, [
      "review_retrieval",
      "generate",
      "retrieve",
      "respond",
    ])
    .addEdge("generate", "judge")
    .addConditionalEdges("judge", routeAfterJudge, ["respond", "review_answer"])
    .addConditionalEdges("review_answer", routeAfterAnswerReview, [
      "review_answer",
      "generate",
      "respond",
    ])
    .addEdge("respond", END);
}

export function compileGraph(checkpointer?: BaseCheckpointSaver) {
  return buildGraph().compile({ checkpointer, name: "signoff" });
}

export type SignoffGraph = ReturnType<typeof compileGraph>;
