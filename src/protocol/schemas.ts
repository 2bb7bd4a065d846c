import { z } from "zod";
import { graphContextSchema } from "../graph/configuration.js";
import { graphSettingsSchema } from "../graph/settings.js";
import { threadSortColumns } from "../repositories/threads.js";
import { boundedJsonObject, METADATA_LIMITS } from "../validation/bounded-json.js";
import { ASSISTANT_ID, GRAPH_ID } from "./assistant.js";
import { protocolStreamModes } from "./stream-modes.js";

/**
 * Request bodies of the LangGraph Platform API as the SDK sends them. Fields signoff has no use
 * for (webhooks, checkpoints to fork from, interrupt_before …) are accepted where the SDK always
 * sends them and refused where honouring them would matter.
 */

const metadata = boundedJsonObject(METADATA_LIMITS);
const threadStatus = z.enum(["idle", "busy", "interrupted", "error"]);

export const threadCreateBody = z.looseObject({
  thread_id: z.uuid().optional(),
  metadata: metadata.optional(),
  if_exists: z.enum(["raise", "do_nothing"]).optional(),
});

/** Filters on `values`: only the fields mirrored in the threads table can be searched. */
const valuesFilter = z
  .object({
    question: z.string(),
    answer: z.string(),
    provenance: z.string(),
    riskTier: z.string(),
  })
  .partial()
  .strict();

/**
 * A search's metadata filter. Agent Inbox and Agent Chat UI scope their thread searches to the
 * graph they serve with `{graph_id}` (`{assistant_id}` when given the assistant's uuid), which
 * LangGraph Platform stores in every thread's metadata. signoff has one graph and only shows
 * those keys (views.ts), so when they name it they match every thread: they are left out.
 */
const metadataFilter = metadata.transform((filter) => {
  const { graph_id, assistant_id, ...rest } = filter;
  const ours = (v: unknown, id: string) => typeof v === "string" && v.toLowerCase() === id;
  return {
    ...rest,
    ...(graph_id === undefined || graph_id === GRAPH_ID ? {} : { graph_id }),
    ...(assistant_id === undefined || ours(assistant_id, ASSISTANT_ID) ? {} : { assistant_id }),
  };
});

const threadFilter = {
  metadata: metadataFilter.optional(),
  values: valuesFilter.optional(),
  status: threadStatus.optional(),
  ids: z.array(z.uuid()).max(1000).optional(),
};

export const threadSearchBody = z.looseObject({
  ...threadFilter,
  limit: z.number().int().min(1).max(1000).default(10),
  offset: z.number().int().min(0).default(0),
  sort_by: z.enum(threadSortColumns).default("created_at"),
  sort_order: z.enum(["asc", "desc"]).default("desc"),
});

export const threadCountBody = z.looseObject(threadFilter);

export const historyBody = z.looseObject({
  limit: z.number().int().min(1).max(1000).default(10),
  before: z
    .looseObject({ configurable: z.looseObject({ checkpoint_id: z.string().max(100).optional() }) })
    .optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  // Which checkpoint of this thread to start from; the thread is always the one of the path.
  checkpoint: z
    .looseObject({
      checkpoint_id: z.string().max(100).optional(),
      checkpoint_ns: z.string().max(500).optional(),
    })
    .optional(),
});

/**
 * signoff threads change only through the review workflow: the one state update accepted is
 * Agent Inbox's "mark as resolved", `{values: null, as_node: "__end__"}`.
 */
export const stateUpdateBody = z.looseObject({
  values: z.unknown().optional(),
  as_node: z.string().optional(),
  checkpoint_id: z.string().optional(),
  checkpoint: z.record(z.string(), z.unknown()).optional(),
});

const streamMode = z.enum(protocolStreamModes);

export const runCreateBody = z.looseObject({
  assistant_id: z.string().min(1).max(200),
  input: z.unknown().optional(),
  command: z
    .looseObject({
      resume: z.unknown().optional(),
      update: z.unknown().optional(),
      goto: z.unknown().optional(),
    })
    .nullish(),
  metadata: metadata.nullish(),
  config: z
    .looseObject({
      configurable: z.record(z.string(), z.unknown()).optional(),
    })
    .nullish(),
  context: graphContextSchema.nullish(),
  stream_mode: z.union([streamMode, z.array(streamMode).max(protocolStreamModes.length)]).nullish(),
  stream_resumable: z.boolean().nullish(),
  stream_subgraphs: z.boolean().nullish(),
  multitask_strategy: z.enum(["reject", "interrupt", "rollback", "enqueue"]).nullish(),
  if_not_exists: z.enum(["create", "reject"]).nullish(),
  on_disconnect: z.enum(["cancel", "continue"]).nullish(),
  interrupt_before: z.unknown().optional(),
  interrupt_after: z.unknown().optional(),
  checkpoint_id: z.string().nullish(),
  checkpoint: z.unknown().optional(),
  webhook: z.string().nullish(),
  after_seconds: z.number().nullish(),
});
export type RunCreateBody = z.infer<typeof runCreateBody>;

/** Graph settings a run may set in `config.configurable` (as Studio's older form does). */
export const configurableSettings = graphSettingsSchema.partial();

/** A chat message as clients send it: LangChain's `{type, content}` or OpenAI's `{role, content}`. */
const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
export const inputMessage = z
  .looseObject({
    // The kinds LangChain turns into messages without more fields (a tool message needs its call).
    type: z.enum(["human", "ai", "system"]).optional(),
    role: z.enum(["user", "human", "assistant", "ai", "system"]).optional(),
    content: z.union([z.string(), z.array(contentPart)]),
  })
  .refine((m) => m.type !== undefined || m.role !== undefined, {
    message: "a message needs `type` (human, ai, system) or `role` (user, assistant, system)",
  });

export const runInput = z
  .looseObject({
    question: z.string().trim().min(1).max(4000).optional(),
    messages: z.array(inputMessage).max(200).optional(),
    metadata: metadata.optional(),
  })
  .refine((i) => i.question !== undefined || (i.messages?.length ?? 0) > 0, {
    message: "the input needs `question` or `messages` with a human message",
  });
export type RunInput = z.infer<typeof runInput>;

export const cancelQuery = z.object({
  wait: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
  action: z.enum(["interrupt", "rollback"]).optional(),
});

/** A stream's query as the SDK's `joinStream` sends it (stream modes are the run's own). */
export const joinStreamQuery = z.object({
  cancel_on_disconnect: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
});

export const listRunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(["pending", "running", "error", "success", "interrupted"]).optional(),
});
