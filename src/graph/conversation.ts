import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { Provenance, State } from "./state.js";

/**
 * The `messages` channel, for chat clients (Agent Chat UI, Studio's chat view): the graph takes
 * `{messages: [human]}` as well as `{question}`, and keeps the conversation as
 * [human question, ai answer, …].
 */

function isHuman(message: BaseMessage): boolean {
  return message.getType() === "human";
}

/** A message's text: its string content, or its text parts joined by new lines. */
export function textOf(message: BaseMessage): string {
  const { content } = message;
  if (typeof content === "string") return content.trim();
  return content
    .map((part) =>
      typeof part === "string"
        ? part
        : part.type === "text" && typeof part.text === "string"
          ? part.text
          : "",
    )
    .filter((text) => text.length > 0)
    .join("\n")
    .trim();
}

/**
 * The question this run answers, and the messages to add for it (the human message, when the
 * conversation does not end with it yet). Chat clients send only `messages`, so the question is
 * then the text of the last human message. An explicit `question` wins, except over a human
 * message sent after an earlier answer on the thread: there `question` still holds the earlier
 * turn's question.
 */
export function askedQuestion(state: Pick<State, "question" | "messages">): {
  question: string;
  messages: BaseMessage[];
} {
  const messages = state.messages ?? [];
  const last = messages.at(-1);
  const pending = last && isHuman(last) ? textOf(last) : "";
  const given = state.question?.trim() ?? "";
  const answeredBefore = messages.some((m) => m.getType() === "ai");
  if (pending && (!given || answeredBefore)) return { question: pending, messages: [] };
  if (given) {
    const asked = sameText(pending, given) ? [] : [new HumanMessage(given)];
    return { question: given, messages: asked };
  }
  const human = messages.findLast((m) => isHuman(m) && textOf(m).length > 0);
  if (human) return { question: textOf(human), messages: [] };
  throw new Error("the input needs `question`, or `messages` with a human message");
}

const sameText = (a: string, b: string) => a.replace(/\s+/g, " ") === b.replace(/\s+/g, " ");

/** The final answer as the conversation's AI message (after the question, if it is missing). */
export function answerMessages(
  state: Pick<State, "question" | "messages">,
  answer: string,
  provenance: Provenance,
): BaseMessage[] {
  // Threads checkpointed before the messages channel existed have no human message yet.
  const seed = (state.messages ?? []).some(isHuman) ? [] : [new HumanMessage(state.question)];
  return [...seed, new AIMessage({ content: answer, response_metadata: { provenance } })];
}
