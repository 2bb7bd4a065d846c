import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { mergeContext, type GraphContext } from "./configuration.js";

/**
 * Context bound when the graph is compiled, for a host that cannot pass live objects with each
 * run. The LangGraph CLI dev server (Studio) gives every run only the JSON context its client
 * sent, and that replaces any context bound with `withConfig`; so src/graph/studio.ts compiles
 * its graph with its providers, policy and settings bound here, under each run's own context.
 * Hosts that pass the context with every run (the API's workers, the evals) bind nothing.
 */
export type HostContext = GraphContext | undefined;

type GraphFunction<S, R> = (state: S, config: LangGraphRunnableConfig) => R;

/** Wraps nodes and routers so they see `host` under the run's context; unchanged without one. */
export function bindHostContext(host: HostContext) {
  return <S, R>(fn: GraphFunction<S, R>): GraphFunction<S, R> => {
    if (!host) return fn;
    return (state, config) => fn(state, { ...config, context: mergeContext(host, config.context) });
  };
}
