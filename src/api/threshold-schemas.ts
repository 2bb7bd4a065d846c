import { z } from "zod";

/** Schemas of the live loop's endpoints (src/api/routes/thresholds.ts). */

const share = z.number().min(0).max(1);
const thresholdsPair = z.object({ retrieval: share, judge: share }).strict().openapi("GatePair");

export const thresholdVersionResponse = z
  .object({
    version_id: z.uuid(),
    version: z.number().int(),
    thresholds: thresholdsPair,
    status: z.enum(["proposed", "active", "rejected", "superseded"]),
    proposed_by: z.string(),
    proposed_at: z.string(),
    decided_by: z.string().nullable(),
    decided_at: z.string().nullable(),
    decision_comment: z.string().nullable(),
    superseded_at: z.string().nullable(),
    evidence: z
      .record(z.string(), z.unknown())
      .describe(
        "What the proposal rests on: the window, the labels by source, the thresholds then in force, and the certification (per tier: Clopper-Pearson bound, automatic answers n, wrong k, review share).",
      ),
  })
  .openapi("ThresholdVersion");

export const thresholdListResponse = z
  .object({
    active: thresholdVersionResponse.nullable(),
    defaults: thresholdsPair.describe(
      "The environment's thresholds, in force while none is active.",
    ),
    versions: z.array(thresholdVersionResponse),
  })
  .openapi("ThresholdList");

export const thresholdListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** An entry of the audit trail of what is not a review (audit_events, migration 0011). */
export const auditEventSchema = z
  .object({
    event_id: z.string(),
    type: z.string(),
    actor: z.string(),
    at: z.string(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .openapi("AuditEvent");

export const thresholdEventsResponse = z.object({
  version: thresholdVersionResponse,
  events: z.array(auditEventSchema),
});

export const proposalBody = z
  .object({
    window_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe("Labels of the last N days (default 30)."),
    target: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .describe("Highest acceptable wrong-automatic-answer rate (default 0.02)."),
    confidence: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .describe("Confidence of the one-sided bound (default 0.95)."),
    step: z.number().min(0.01).max(0.5).optional().describe("Threshold grid step (default 0.01)."),
    thresholds: thresholdsPair
      .optional()
      .describe(
        "Propose this pair instead of the certified one; its evidence is computed all the same.",
      ),
    comment: z.string().max(2000).optional(),
  })
  .strict();

export const thresholdDecisionBody = z
  .object({ comment: z.string().max(2000).optional() })
  .strict();

export const thresholdDecisionResponse = z.object({
  version: thresholdVersionResponse,
  changed: z.boolean().describe("False when the version already was in this state."),
  superseded: thresholdVersionResponse.nullable(),
});

export const gateLiveQuery = z.object({
  window_days: z.coerce.number().int().min(1).max(3650).optional(),
  confidence: z.coerce.number().gt(0).lt(1).optional(),
});

const labelCounts = z.object({ trials: z.number().int(), wrong: z.number().int() });

export const gateLiveResponse = z
  .object({
    window_days: z.number().int(),
    confidence: z.number(),
    active_version: z.number().int().nullable(),
    thresholds: thresholdsPair,
    tiers: z.array(
      z.object({
        risk_tier: z.string(),
        audit: labelCounts.describe("Audit samples decided by a human (unbiased)."),
        feedback: labelCounts.describe(
          "Users' first ratings of automatic answers (self-selected).",
        ),
        trials: z.number().int(),
        wrong: z.number().int(),
        rate: z.number().nullable(),
        lower: z.number(),
        upper: z.number(),
      }),
    ),
  })
  .openapi("GateLive");
