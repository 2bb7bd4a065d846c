import { createHash } from "node:crypto";
import { z } from "zod";
import { graphContextSchema } from "../graph/configuration.js";
import type { SignoffGraph } from "../graph/graph.js";
import { NotFoundError } from "../services/errors.js";

/** The one graph signoff serves, as the protocol's one assistant. */
export const GRAPH_ID = "signoff";

/** RFC 4122 version 5 (SHA-1, name-based) UUID. */
function uuidV5(name: string, namespace: string): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replace(/-/g, ""), "hex"))
    .update(name)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The assistant id the LangGraph CLI gives a graph (uuid v5 of its id in the CLI's namespace),
 * so a client configured against `npm run studio` finds the same assistant here.
 */
export const ASSISTANT_ID = uuidV5(GRAPH_ID, "6ba7b821-9dad-11d1-80b4-00c04fd430c8");

const STARTED_AT = new Date().toISOString();

export function assistantView() {
  return {
    assistant_id: ASSISTANT_ID,
    graph_id: GRAPH_ID,
    name: GRAPH_ID,
    description: "Answers from the knowledge base; pauses for a human reviewer when unsure.",
    config: {},
    context: {},
    metadata: { created_by: "system" },
    version: 1,
    created_at: STARTED_AT,
    updated_at: STARTED_AT,
  };
}

/** Both the assistant's id and the graph's name refer to it, as on LangGraph Platform. */
export function checkAssistant(id: string): void {
  if (id.toLowerCase() !== ASSISTANT_ID && id !== GRAPH_ID) {
    throw new NotFoundError(
      "not_found",
      `assistant ${id} does not exist (this server has "${GRAPH_ID}")`,
    );
  }
}

export async function assistantGraph(graph: SignoffGraph, xray: boolean) {
  const drawable = await graph.getGraphAsync({ xray });
  return drawable.toJSON();
}

const messageList = {
  type: "array",
  items: { type: "object", additionalProperties: true },
  description: "Chat messages; the last human message is the question.",
};

/** The graph's schemas: what Studio builds its input form and context controls from. */
export function assistantSchemas() {
  const context = z.toJSONSchema(graphContextSchema, { unrepresentable: "any" });
  const input = {
    type: "object",
    properties: {
      question: { type: "string", description: "The user's question." },
      messages: messageList,
      metadata: {
        type: "object",
        additionalProperties: true,
        description: "Carried along untouched.",
      },
    },
  };
  const state = {
    type: "object",
    properties: {
      ...input.properties,
      answer: { type: "string" },
      provenance: { type: "string", enum: ["auto", "approved", "edited", "human", "fallback"] },
      riskTier: { type: "string" },
      draft: { type: "object", additionalProperties: true },
      judgment: { type: "object", additionalProperties: true },
      decisions: { type: "array", items: { type: "object", additionalProperties: true } },
    },
  };
  return {
    graph_id: GRAPH_ID,
    input_schema: input,
    output_schema: state,
    state_schema: state,
    config_schema: { type: "object", properties: {} },
    context_schema: context,
  };
}
