import type { Principal } from "../auth/principal.js";

/**
 * What a `client` key sees of a thread through the protocol: the question, the conversation and
 * the answer that was sent, never what a human has not signed off (a draft, the judge's verdict,
 * the evidence, the review card). signoff's own API shows clients the same; reviewers and admins
 * see everything, as Agent Inbox and Studio need.
 */
export const CLIENT_VALUE_KEYS = [
  "question",
  "metadata",
  "messages",
  "riskTier",
  "answer",
  "provenance",
  "fallbackReason",
] as const;

const allowed = new Set<string>(CLIENT_VALUE_KEYS);

/** Stream modes whose events carry graph internals (inputs and outputs of every node). */
const INTERNAL_MODES = new Set(["debug", "tasks", "checkpoints", "events"]);

/** The nodes whose messages are the conversation (the question, the answer sent). */
const CONVERSATION_NODES = new Set(["guard", "respond"]);

export function seesEverything(principal: Principal): boolean {
  return principal.open || principal.role !== "client";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A pending interrupt as a client sees it: that a human is reviewing, and at which stage. */
function clientInterrupt(interrupt: unknown): unknown {
  if (!isRecord(interrupt)) return interrupt;
  const value = isRecord(interrupt.value) ? interrupt.value : {};
  const card = isRecord(value.card) ? value.card : {};
  const request = isRecord(value.action_request) ? value.action_request : {};
  return {
    id: interrupt.id,
    value: {
      review: "pending",
      stage: card.stage ?? null,
      action: request.action ?? null,
      description: "A human reviewer is checking this before it is sent.",
    },
  };
}

/** State values without what a client may not see; `__interrupt__` redacted. */
export function clientValues(values: unknown): unknown {
  if (!isRecord(values)) return values;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (allowed.has(key)) kept[key] = value;
    else if (key === "__interrupt__" && Array.isArray(value)) {
      kept[key] = value.map(clientInterrupt);
    }
  }
  return kept;
}

/** `Thread.interrupts` (`{task_id: [{id, value}]}`) as a client sees them. */
export function clientInterrupts(byTask: Record<string, unknown[]>): Record<string, unknown[]> {
  return Object.fromEntries(
    Object.entries(byTask).map(([task, list]) => [task, list.map(clientInterrupt)]),
  );
}

/**
 * One stored stream event as a client may receive it: its data rewritten, or undefined when the
 * event is not for clients (internals, and model tokens of nodes other than the conversation's).
 */
export function clientEvent(event: string, data: string): string | undefined {
  if (INTERNAL_MODES.has(event)) return undefined;
  if (event !== "values" && event !== "updates" && event !== "messages") return data;
  const parsed = JSON.parse(data) as unknown;
  if (event === "values") return JSON.stringify(clientValues(parsed));
  if (event === "messages") {
    const [, metadata] = Array.isArray(parsed) ? (parsed as unknown[]) : [];
    const node = isRecord(metadata) ? metadata.langgraph_node : undefined;
    return typeof node === "string" && CONVERSATION_NODES.has(node) ? data : undefined;
  }
  if (!isRecord(parsed)) return data;
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(parsed).map(([node, update]) => [
        node,
        node === "__interrupt__" && Array.isArray(update)
          ? update.map(clientInterrupt)
          : clientValues(update),
      ]),
    ),
  );
}
