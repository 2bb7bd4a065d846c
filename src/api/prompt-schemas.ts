import { z } from "zod";
import { routes } from "../evals/dataset.js";
import { MAX_TEMPLATE_CHARS, TEMPLATE_NAMES } from "../prompts/template.js";
import { auditEventSchema } from "./threshold-schemas.js";

/** Schemas of the prompt template endpoints (src/api/routes/prompts.ts). */

const templateName = z.enum(TEMPLATE_NAMES);
const share = z.number().nullable();

const dryRunMetrics = z
  .object({
    cases: z.number().int(),
    errors: z.number().int(),
    auto_answer_rate: share,
    review_share: share,
    refusal_share: share,
    leak_rate: share,
    leaked: z.array(z.string()),
    route_accuracy: share,
    escalation_precision: share,
    escalation_recall: share,
    correct_share: share.describe("Drafts correct against the reference (token F1 ≥ the cut)."),
    mean_f1: share,
    judge_kappa: share,
  })
  .openapi("PromptDryRunMetrics");

const caseOutcome = z.object({
  route: z.enum(routes).nullable(),
  correct: z.boolean().nullable(),
  judge_score: z.number().nullable(),
  judge_flags: z.array(z.string()),
  draft: z.string().nullable(),
  error: z.string().optional(),
});

export const dryRunSchema = z
  .object({
    dataset: z.string(),
    provider: z.string(),
    thresholds: z.object({ retrieval: z.number(), judge: z.number() }),
    case_ids: z.array(z.string()),
    before: dryRunMetrics.describe("With the active templates."),
    after: dryRunMetrics.describe("With this version in its template's place."),
    changed: z
      .array(
        z.object({
          id: z.string(),
          question: z.string(),
          before: caseOutcome,
          after: caseOutcome,
        }),
      )
      .describe("Cases whose route, verdict, judge flags or draft differ."),
    at: z.string(),
    by: z.string(),
    active_versions: z.object({
      generator: z.number().int().nullable(),
      judge: z.number().int().nullable(),
    }),
  })
  .openapi("PromptDryRun");

export const promptVersionResponse = z
  .object({
    version_id: z.uuid(),
    template: templateName,
    version: z.number().int(),
    body: z.string(),
    status: z.enum(["proposed", "active", "rejected", "superseded"]),
    comment: z.string().nullable(),
    proposed_by: z.string(),
    proposed_at: z.string(),
    decided_by: z.string().nullable(),
    decided_at: z.string().nullable(),
    decision_comment: z.string().nullable(),
    superseded_at: z.string().nullable(),
    dry_run: dryRunSchema.nullable().describe("The latest dry run (proposals only)."),
  })
  .openapi("PromptVersion");

export const promptListQuery = z.object({
  template: templateName.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const promptListResponse = z
  .object({
    active: z
      .object({
        generator: promptVersionResponse.nullable(),
        judge: promptVersionResponse.nullable(),
      })
      .describe("Each template's active version (null: none yet, the built-in text runs)."),
    versions: z.array(promptVersionResponse),
  })
  .openapi("PromptList");

export const promptDetailResponse = z.object({
  version: promptVersionResponse,
  active_version: z.number().int().nullable(),
  diff: z
    .string()
    .describe("Unified diff from the template's active text to this version's (empty: equal)."),
  events: z.array(auditEventSchema),
});

export const promptProposalBody = z
  .object({
    template: templateName,
    body: z
      .string()
      .min(1)
      .max(MAX_TEMPLATE_CHARS)
      .describe(
        "The template's full text: the system prompt a model is sent, plus optional directive lines for the offline providers (offline.max_sentences: N, offline.citations: on|off for the generator; offline.ignore_flags: a, b for the judge).",
      ),
    comment: z.string().max(2000).optional().describe("Why."),
  })
  .strict();

export const promptDryRunBody = z
  .object({
    sample: z
      .number()
      .int()
      .min(1)
      .max(500)
      .optional()
      .describe("Cases of the eval set to run (default PROMPT_DRY_RUN_SAMPLE)."),
  })
  .strict();

export const promptDryRunResponse = z.object({
  version: promptVersionResponse,
  dry_run: dryRunSchema,
});

export const promptApproveBody = z.object({ comment: z.string().max(2000).optional() }).strict();
export const promptRejectBody = z
  .object({ comment: z.string().trim().min(1).max(2000).describe("Why it is rejected.") })
  .strict();

export const promptDecisionResponse = z.object({
  version: promptVersionResponse,
  changed: z.boolean().describe("False when the version already was in this state."),
  superseded: promptVersionResponse.nullable(),
});
