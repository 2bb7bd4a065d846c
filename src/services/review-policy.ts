import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { ReviewStage } from "../graph/decision.js";

/**
 * How long a review may wait, per stage and risk tier, kept as data: after `escalate_after_minutes`
 * it is escalated (higher priority, escalation queue); after `fallback_after_minutes` the thread is
 * resolved with the safe fallback reply and the reason recorded. No item waits forever.
 */
const deadlines = z
  .object({
    escalate_after_minutes: z.number().positive(),
    fallback_after_minutes: z.number().positive(),
  })
  .refine((d) => d.fallback_after_minutes > d.escalate_after_minutes, {
    message: "fallback_after_minutes must be later than escalate_after_minutes",
  });

const perTier = z.object({ low: deadlines, medium: deadlines, high: deadlines });

export const reviewPolicySchema = z.object({
  sla: z.object({ retrieval: perTier, answer: perTier }),
  /**
   * Sign-offs needed, per risk tier. With more than one, an answer-stage approval is a vote by a
   * different reviewer until enough are in; an answer a reviewer wrote (edit or respond, at either
   * stage) and any objection after an approval escalate the item to an admin, who decides it.
   */
  approvals_required: z
    .object({
      low: z.number().int().min(1),
      medium: z.number().int().min(1),
      high: z.number().int().min(1),
    })
    .default({ low: 1, medium: 1, high: 1 }),
  /** Priority added when an item is escalated, so escalations lead every queue. */
  escalation_priority_boost: z.number().int().min(0).default(1000),
});

export type ReviewPolicy = z.infer<typeof reviewPolicySchema>;

export const defaultReviewPolicy: ReviewPolicy = {
  sla: {
    retrieval: {
      low: { escalate_after_minutes: 240, fallback_after_minutes: 1440 },
      medium: { escalate_after_minutes: 120, fallback_after_minutes: 720 },
      high: { escalate_after_minutes: 60, fallback_after_minutes: 480 },
    },
    answer: {
      low: { escalate_after_minutes: 240, fallback_after_minutes: 1440 },
      medium: { escalate_after_minutes: 120, fallback_after_minutes: 720 },
      high: { escalate_after_minutes: 30, fallback_after_minutes: 240 },
    },
  },
  approvals_required: { low: 1, medium: 1, high: 1 },
  escalation_priority_boost: 1000,
};

export function approvalsRequired(policy: ReviewPolicy, _stage: ReviewStage, tier: string): number {
  const byTier = policy.approvals_required;
  return byTier[(tier in byTier ? tier : "high") as keyof typeof byTier];
}

export function deadlinesFor(policy: ReviewPolicy, stage: ReviewStage, tier: string) {
  const byTier = policy.sla[stage];
  return byTier[(tier in byTier ? tier : "high") as keyof typeof byTier];
}

export async function loadReviewPolicy(file: string | undefined): Promise<ReviewPolicy> {
  if (!file) return defaultReviewPolicy;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(
      `REVIEW_POLICY_FILE ${file} could not be read as JSON: ${(error as Error).message}`,
    );
  }
  const parsed = reviewPolicySchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `REVIEW_POLICY_FILE ${file} is not a valid review policy: ${parsed.error.message}`,
    );
  return parsed.data;
}
