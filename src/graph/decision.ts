import { z } from "zod";
import type { HumanResponse } from "@langchain/langgraph/prebuilt";

/** What a reviewer can decide, at either stage. */
export const decisionTypes = ["approve", "edit", "respond", "reject", "revise"] as const;
export type DecisionType = (typeof decisionTypes)[number];

export const reviewStages = ["retrieval", "answer"] as const;
export type ReviewStage = (typeof reviewStages)[number];

const reasons = z.array(z.string().trim().min(1).max(200)).max(20).default([]);
const comment = z.string().trim().max(5000).optional();

/** A reviewer's tag for what went wrong, for the eval datasets. */
export const rootCauses = [
  "retrieval_miss",
  "unfaithful_generation",
  "judge_error",
  "policy",
] as const;
const root_cause = z.enum(rootCauses).optional();

/**
 * A reviewer's decision. The same schema validates the HTTP body and the graph's resume value.
 * - approve: accept what is shown (the evidence, or the draft) as it is.
 * - edit: change it: the curated `chunk_ids` at the retrieval stage, the corrected `answer` at
 *   the answer stage.
 * - respond: the reviewer answers the question themselves (`answer`).
 * - reject: nothing is sent but the safe fallback reply; `reasons` say why.
 * - revise: try again following `instructions` (retrieval: search again with them; answer:
 *   write a new draft), bounded by the revision limit.
 * Any of them may carry `reasons`, a `comment` and a `root_cause` tag.
 */
export const decisionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("approve"), reasons, comment, root_cause }).strict(),
  z
    .object({
      type: z.literal("edit"),
      answer: z.string().trim().min(1).max(20_000).optional(),
      // Lower-cased and de-duplicated, so the API's check and the graph's lookup agree.
      chunk_ids: z
        .array(z.uuid())
        .min(1)
        .max(50)
        .transform((ids) => [...new Set(ids.map((id) => id.toLowerCase()))])
        .optional(),
      reasons,
      comment,
      root_cause,
    })
    .strict()
    .refine((d) => d.answer !== undefined || d.chunk_ids !== undefined, {
      message: "an edit needs `answer` (answer review) or `chunk_ids` (retrieval review)",
    }),
  z
    .object({
      type: z.literal("respond"),
      answer: z.string().trim().min(1).max(20_000),
      reasons,
      comment,
      root_cause,
    })
    .strict(),
  z.object({ type: z.literal("reject"), reasons, comment, root_cause }).strict(),
  z
    .object({
      type: z.literal("revise"),
      instructions: z.string().trim().min(1).max(5000),
      reasons,
      comment,
      root_cause,
    })
    .strict(),
]);

export type Decision = z.infer<typeof decisionSchema>;

/** LangChain Agent Inbox's HumanResponse, so its UI (and Studio) can resume our interrupts. */
const humanResponseSchema = z.object({
  type: z.enum(["accept", "ignore", "response", "edit"]),
  args: z.union([
    z.null(),
    z.string(),
    z.object({ action: z.string(), args: z.record(z.string(), z.unknown()) }),
  ]),
});

function fromHumanResponse(response: HumanResponse): unknown {
  switch (response.type) {
    case "accept":
      return { type: "approve" };
    case "ignore":
      return { type: "reject", reasons: ["ignored in Agent Inbox"] };
    case "response":
      return { type: "respond", answer: response.args };
    case "edit": {
      const args = (response.args as { args?: Record<string, unknown> } | null)?.args ?? {};
      return { type: "edit", answer: args.answer, chunk_ids: args.chunk_ids };
    }
  }
}

/**
 * Parses a resume value: our own decision, or an Agent Inbox HumanResponse (alone or in the
 * one-element array Agent Inbox sends).
 */
export function parseResumeValue(value: unknown): Decision {
  const single = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  const inbox = humanResponseSchema.safeParse(single);
  return decisionSchema.parse(inbox.success ? fromHumanResponse(inbox.data) : single);
}

/** A decision as the graph keeps it: which stage it answered. */
export type StageDecision = Decision & { stage: ReviewStage };
