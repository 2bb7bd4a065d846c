import { z } from "zod";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Providers } from "../providers/types.js";
import type { Policy } from "./policy.js";

/** Tunable numbers of the graph; per-run overrides go in `configurable` (Studio shows them). */
export const graphSettingsSchema = z.object({
  /** Retrieval score under which the evidence goes to a human before generation. */
  retrievalThreshold: z.number().min(0).max(1),
  /** Judge score under which the answer goes to a human. */
  judgeThreshold: z.number().min(0).max(1),
  /** Passages retrieved per question. */
  topK: z.number().int().min(1).max(50),
  /** Revisions a reviewer may ask for before only final decisions remain. */
  revisionLimit: z.number().int().min(0).max(10),
  /** Share of answers that passed the gates sent to review anyway as audit samples. */
  auditSampleRate: z.number().min(0).max(1),
  /** Reply sent when a reviewer rejects an answer (or nobody answers in time). */
  fallbackAnswer: z.string().min(1),
});

export type GraphSettings = z.infer<typeof graphSettingsSchema>;

export const DEFAULT_SETTINGS: GraphSettings = {
  retrievalThreshold: 0.5,
  judgeThreshold: 0.6,
  topK: 4,
  revisionLimit: 2,
  auditSampleRate: 0,
  fallbackAnswer:
    "We can't give a reliable answer to this question right now. A member of our team has been notified and will follow up.",
};

/** Live dependencies of a run, passed as LangGraph runtime context (never checkpointed). */
// A type alias, not an interface: LangGraph's context option wants an index-signature type.
export type GraphContext = {
  providers: Providers;
  policy: Policy;
  /** Defaults for this deployment (from the environment); `configurable` overrides them. */
  settings?: Partial<GraphSettings>;
};

export interface Configuration extends GraphSettings {
  providers: Providers;
  policy: Policy;
  threadId: string;
}

const overridesSchema = graphSettingsSchema.partial();

let processContext: GraphContext | undefined;

/**
 * The context for runs started by a host that cannot pass live objects per run: the LangGraph
 * CLI dev server gives every run the JSON context its client sent (`{}` by default), which
 * replaces any context bound with `withConfig`. Only src/graph/studio.ts sets this; the API's
 * runs always carry their own context, which wins.
 */
export function setProcessContext(context: GraphContext): void {
  processContext = context;
}

/** Fills the run's configuration: defaults, then the deployment's settings, then `configurable`. */
export function ensureConfiguration(config: LangGraphRunnableConfig): Configuration {
  const given = config.context as Partial<GraphContext> | undefined;
  const context = given?.providers && given.policy ? (given as GraphContext) : processContext;
  if (!context) {
    throw new Error("signoff graph needs runtime context { providers, policy }");
  }
  const configurable = (config.configurable ?? {}) as Record<string, unknown>;
  const overrides = overridesSchema.parse(
    Object.fromEntries(Object.keys(graphSettingsSchema.shape).map((k) => [k, configurable[k]])),
  );
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    ...DEFAULT_SETTINGS,
    ...context.settings,
    ...defined,
    providers: context.providers,
    policy: context.policy,
    threadId: typeof configurable.thread_id === "string" ? configurable.thread_id : "",
  };
}
