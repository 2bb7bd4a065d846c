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

/**
 * LangChain v1's human-in-the-loop decisions (what Agent Chat UI sends): `edited_action` in
 * Python and Agent Chat UI, `editedAction` in LangChain JS. Approve, and reject without a
 * message, are our own decisions already.
 */
const v1Action = z.object({ name: z.string(), args: z.record(z.string(), z.unknown()) });
const v1DecisionSchema = z.union([
  z.object({ type: z.literal("edit"), edited_action: v1Action }),
  z.object({ type: z.literal("edit"), editedAction: v1Action }),
  z.object({ type: z.literal("reject"), message: z.string() }),
]);

/** LangChain v1's HITLResponse: one decision per action request, and ours raise one. */
const v1ResponseSchema = z.object({
  decisions: z
    .array(z.unknown())
    .length(1, "one decision: a review interrupt asks about a single action"),
});

/**
 * Chunk ids as a client's edit form sends them back: a list, or the text of its field: the JSON
 * list it was shown, or ids separated by commas, spaces or new lines.
 */
function chunkIdsOf(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // Not JSON: a plain list of ids.
  }
  return value.split(/[\s,;"'[\]]+/).filter((id) => id.length > 0);
}

/** An edit from the fields a client's edit form sent back (the interrupt's `args`, edited). */
function editOf(args: Record<string, unknown>): unknown {
  return { type: "edit", answer: args.answer, chunk_ids: chunkIdsOf(args.chunk_ids) };
}

function fromHumanResponse(response: HumanResponse): unknown {
  switch (response.type) {
    case "accept":
      return { type: "approve" };
    case "ignore":
      return { type: "reject", reasons: ["ignored in Agent Inbox"] };
    case "response":
      return { type: "respond", answer: response.args };
    case "edit":
      return editOf((response.args as { args?: Record<string, unknown> } | null)?.args ?? {});
  }
}

const REASON_MAX = 200;

function fromV1Decision(decision: z.infer<typeof v1DecisionSchema>): unknown {
  if (decision.type === "edit") {
    const action = "edited_action" in decision ? decision.edited_action : decision.editedAction;
    return editOf(action.args);
  }
  // A reject's message is its reason; one too long for a reason is kept whole as the comment.
  const message = decision.message.trim();
  if (message.length === 0) return { type: "reject" };
  if (message.length <= REASON_MAX) return { type: "reject", reasons: [message] };
  return {
    type: "reject",
    reasons: [`${message.slice(0, REASON_MAX - 1).trimEnd()}…`],
    comment: message,
  };
}

/**
 * Parses a resume value: our own decision; an Agent Inbox HumanResponse (alone or in the
 * one-element list Agent Inbox sends); or a LangChain v1 decision (alone, or in the
 * `{decisions: [...]}` Agent Chat UI sends). An edit from a client's form may send `chunk_ids` as
 * the text of the field; it is read back into a list.
 */
export function parseResumeValue(value: unknown): Decision {
  let single = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  if (typeof single === "object" && single !== null && "decisions" in single) {
    single = v1ResponseSchema.parse(single).decisions[0];
  }
  const inbox = humanResponseSchema.safeParse(single);
  if (inbox.success) return decisionSchema.parse(fromHumanResponse(inbox.data));
  const v1 = v1DecisionSchema.safeParse(single);
  return decisionSchema.parse(v1.success ? fromV1Decision(v1.data) : single);
}

/** A decision as the graph keeps it: which stage it answered. */
export type StageDecision = Decision & { stage: ReviewStage };
