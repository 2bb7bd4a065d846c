import { z } from "zod";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PromptSet } from "../prompts/template.js";
import type { Providers } from "../providers/types.js";
import type { Policy } from "./policy.js";
import {
  DEFAULT_SETTINGS,
  graphSettingsSchema,
  mergeSettings,
  type GraphSettings,
} from "./settings.js";

export { DEFAULT_SETTINGS, graphSettingsSchema, type GraphSettings } from "./settings.js";

/**
 * The graph's runtime context schema, declared on the StateGraph: LangGraph checks every run's
 * context against it and Studio shows it as the run's context form. Only JSON goes here; the
 * live dependencies (providers, policy) travel in the same context but are not JSON, so they are
 * checked by `ensureConfiguration` instead.
 */
export const graphContextSchema = z.object({
  settings: graphSettingsSchema
    .partial()
    .optional()
    .describe("This run's settings; those left out come from the environment (or the defaults)."),
});

/** Live dependencies of a run: never JSON, never checkpointed. */
export interface Dependencies {
  providers: Providers;
  policy: Policy;
  /**
   * The approved prompt templates (migration 0016), set by the executor at each run's start;
   * the built-in ones when absent (Studio, the evals). Never from a client's run context.
   */
  prompts?: PromptSet;
}

/**
 * A run's context: the live dependencies, and the settings the deployment (from the environment)
 * or the run chose; `settings` is a required key because LangGraph types the declared schema so.
 */
// A type alias, not an interface: LangGraph's context option wants an index-signature type.
export type GraphContext = Dependencies & {
  settings: z.infer<typeof graphContextSchema>["settings"];
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

const runContextSchema = graphContextSchema.extend({
  providers: z.custom<Providers>(
    (p) => isObject(p) && isObject(p.retriever) && isObject(p.generator) && isObject(p.judge),
  ),
  policy: z.custom<Policy>((p) => isObject(p) && Array.isArray(p.rules)),
  prompts: z
    .custom<PromptSet>((p) => isObject(p) && isObject(p.generator) && isObject(p.judge))
    .optional(),
});

export interface Configuration extends GraphSettings, Dependencies {
  threadId: string;
}

/** `context` on top of `base`: the run's own dependencies win, settings merge field by field. */
export function mergeContext(
  base: GraphContext,
  context: Partial<GraphContext> | undefined,
): GraphContext {
  return {
    ...base,
    ...context,
    settings: { ...base.settings, ...context?.settings },
  };
}

const overridesSchema = graphSettingsSchema.partial();

/**
 * A run's settings: the defaults, then the context's (the deployment's, from the environment,
 * or the run's), then per-run overrides in `configurable`. Routers need only these.
 */
export function settingsOf(config: LangGraphRunnableConfig): GraphSettings {
  const context = graphContextSchema.parse(config.context ?? {});
  const configurable = (config.configurable ?? {}) as Record<string, unknown>;
  const overrides = overridesSchema.parse(
    Object.fromEntries(Object.keys(graphSettingsSchema.shape).map((k) => [k, configurable[k]])),
  );
  return mergeSettings(DEFAULT_SETTINGS, context.settings, overrides);
}

/** Everything a node needs: the run's settings, its dependencies and its thread. */
export function ensureConfiguration(config: LangGraphRunnableConfig): Configuration {
  const parsed = runContextSchema.safeParse(config.context ?? {});
  if (!parsed.success) {
    throw new Error("signoff graph needs runtime context { providers, policy }");
  }
  const threadId = (config.configurable as { thread_id?: unknown } | undefined)?.thread_id;
  return {
    ...settingsOf(config),
    providers: parsed.data.providers,
    policy: parsed.data.policy,
    prompts: parsed.data.prompts,
    threadId: typeof threadId === "string" ? threadId : "",
  };
}
