import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";

import type { Citation, Draft, GenerateInput, Generator, Passage } from "../types.js";
import {
  EVIDENCE_HEADING,
  GENERATOR_SYSTEM_PROMPT,
  NO_EVIDENCE_TEXT,
  REVISION_HEADING,
} from "./prompts.js";

/**
 * The chat model the Bedrock generator and judge talk to: in production a `ChatBedrockConverse`,
 * in tests any LangChain chat model (for example a fake one) will do.
 */
export type ChatModel = BaseChatModel;

/** Renders passages as the numbered list the prompts refer to: "[1] Title\ntext". */
export function formatEvidence(evidence: readonly Passage[]): string {
  if (evidence.length === 0) return `${EVIDENCE_HEADING}\n${NO_EVIDENCE_TEXT}`;
  const blocks = evidence.map((p, i) => `[${i + 1}] ${p.title}\n${p.text.trim()}`);
  return `${EVIDENCE_HEADING}\n\n${blocks.join("\n\n")}`;
}

/** Matches "[1]", "[1, 3]" and "[1;3]" style citation markers. */
const MARKER_GROUP = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;

/** Every marker number used in the text, in order of first appearance, without repeats. */
export function citationMarkers(text: string): number[] {
  const seen = new Set<number>();
  for (const match of text.matchAll(MARKER_GROUP)) {
    for (const part of (match[1] ?? "").split(/[,;]/)) {
      const n = Number.parseInt(part.trim(), 10);
      if (Number.isSafeInteger(n)) seen.add(n);
    }
  }
  return [...seen];
}

/**
 * The citations of an answer: one per distinct marker that refers to a given passage (marker n is
 * evidence[n - 1]), in marker order. Markers outside 1..evidence.length are left out here; the
 * judge flags them as `unknown_citation`.
 */
export function parseCitations(text: string, evidence: readonly Passage[]): Citation[] {
  return citationMarkers(text)
    .filter((n) => n >= 1 && n <= evidence.length)
    .sort((a, b) => a - b)
    .map((marker) => {
      const passage = evidence[marker - 1]!;
      return { marker, chunk_id: passage.chunk_id, title: passage.title };
    });
}

/** The user message of a generation request. */
export function buildGeneratorUserMessage(input: GenerateInput): string {
  const parts = [`Question: ${input.question.trim()}`, formatEvidence(input.evidence)];
  const previous = input.previousDraft?.trim();
  const instructions = input.instructions?.trim();
  if (previous || instructions) {
    const revision = [REVISION_HEADING];
    if (previous) revision.push(`Previous answer:\n${previous}`);
    if (instructions) revision.push(`Reviewer instructions:\n${instructions}`);
    parts.push(revision.join("\n\n"));
  }
  parts.push("Write the answer now, with a citation marker after each supported sentence.");
  return parts.join("\n\n");
}

export class BedrockGenerator implements Generator {
  readonly provider: string;

  constructor(
    private readonly model: ChatModel,
    readonly modelId: string,
  ) {
    this.provider = `bedrock:${modelId}`;
  }

  buildMessages(input: GenerateInput): BaseMessage[] {
    return [
      new SystemMessage(input.prompt?.system ?? GENERATOR_SYSTEM_PROMPT),
      new HumanMessage(buildGeneratorUserMessage(input)),
    ];
  }

  async generate(input: GenerateInput): Promise<Draft> {
    const reply = await this.model.invoke(this.buildMessages(input));
    const text = reply.text.trim();
    return { text, citations: parseCitations(text, input.evidence), provider: this.provider };
  }
}
