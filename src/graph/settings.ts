import { z } from "zod";

/**
 * The graph's tunable numbers, their bounds and their defaults, in one place: src/env.ts takes
 * its defaults and bounds from here, and src/graph/configuration.ts fills a run's settings.
 * The descriptions are what Studio shows beside each field of the run's context.
 */
export const graphSettingsSchema = z.object({
  retrievalThreshold: z
    .number()
    .min(0)
    .max(1)
    .describe("Retrieval score under which the evidence goes to a human before generation."),
  judgeThreshold: z
    .number()
    .min(0)
    .max(1)
    .describe("Judge score under which the answer goes to a human."),
  topK: z.number().int().min(1).max(50).describe("Passages retrieved per question."),
  revisionLimit: z
    .number()
    .int()
    .min(0)
    .max(10)
    .describe("Revisions a reviewer may ask for before only final decisions remain."),
  auditSampleRate: z
    .number()
    .min(0)
    .max(1)
    .describe("Share of answers that passed the gates sent to review anyway as audit samples."),
  fallbackAnswer: z
    .string()
    .min(1)
    .describe("Reply sent when a reviewer rejects an answer (or nobody answers in time)."),
});

export type GraphSettings = z.infer<typeof graphSettingsSchema>;

/** The settings that are numbers (and so can come from an environment variable). */
export type NumericSetting = {
  [K in keyof GraphSettings]: GraphSettings[K] extends number ? K : never;
}[keyof GraphSettings];

export const DEFAULT_SETTINGS: GraphSettings = {
  retrievalThreshold: 0.5,
  judgeThreshold: 0.6,
  topK: 4,
  revisionLimit: 2,
  auditSampleRate: 0,
  fallbackAnswer:
    "We can't give a reliable answer to this question right now. A member of our team has been notified and will follow up.",
};

/** Later layers win; a layer's undefined values leave the earlier value in place. */
export function mergeSettings(
  base: GraphSettings,
  ...layers: (Partial<GraphSettings> | undefined)[]
): GraphSettings {
  const defined = layers.map((layer) =>
    Object.fromEntries(Object.entries(layer ?? {}).filter(([, v]) => v !== undefined)),
  );
  return Object.assign({}, base, ...defined) as GraphSettings;
}
