import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import { z } from "zod";

import type { Judge, JudgeFlag, JudgeInput, Judgment } from "../types.js";
import { citationMarkers, formatEvidence, type ChatModel } from "./generator.js";
import { JUDGE_SYSTEM_PROMPT, JUDGE_TOOL_NAME } from "./prompts.js";

/** Every JudgeFlag, in the order flags are reported (the Record makes the list exhaustive). */
const FLAG_ORDER: Record<JudgeFlag, number> = {
  no_answer: 0,
  missing_citations: 1,
  unknown_citation: 2,
  unsupported_claims: 3,
  off_topic: 4,
  heading_quoted: 5,
  answer_type_missing: 6,
  focus_missing: 7,
  unknown_subject: 8,
};
export const JUDGE_FLAGS = Object.keys(FLAG_ORDER) as [JudgeFlag, ...JudgeFlag[]];

/** What the judge model must return through the grade_answer tool. */
export const gradeSchema = z
  .object({
    groundedness: z
      .number()
      .min(0)
      .max(1)
      .describe("Share of the answer's claims supported by the passages they cite, from 0 to 1."),
    coverage: z
      .number()
      .min(0)
      .max(1)
      .describe("Share of the question the answer addresses, from 0 to 1."),
    flags: z
      .array(z.enum(JUDGE_FLAGS))
      .describe("Problems found in the answer; an empty list when there are none."),
    rationale: z.string().describe("One or two short sentences explaining the grade."),
  })
  .describe("Grade an answer against the question and the numbered evidence passages.");

export type Grade = z.infer<typeof gradeSchema>;

/** Geometric mean of groundedness and coverage, rounded to 3 decimals. */
export function judgmentScore(groundedness: number, coverage: number): number {
  return Math.round(Math.sqrt(groundedness * coverage) * 1000) / 1000;
}

/** The user message of a judge request. */
export function buildJudgeUserMessage(input: JudgeInput): string {
  const answer = input.draft.text.trim() || "(the answer is empty)";
  return [
    `Question: ${input.question.trim()}`,
    formatEvidence(input.evidence),
    `Answer to grade:\n${answer}`,
    `Grade the answer with the ${JUDGE_TOOL_NAME} tool.`,
  ].join("\n\n");
}

/** Flags the judge adds itself, from the draft's citations, whatever the model said. */
export function citationFlags(input: JudgeInput): JudgeFlag[] {
  const flags: JudgeFlag[] = [];
  const { draft, evidence } = input;
  const text = draft.text.trim();
  if (!text) flags.push("no_answer");
  const outOfRange = (n: number) => n < 1 || n > evidence.length;
  if (
    citationMarkers(draft.text).some(outOfRange) ||
    draft.citations.some((c) => outOfRange(c.marker))
  ) {
    flags.push("unknown_citation");
  }
  if (text && draft.citations.length === 0) flags.push("missing_citations");
  return flags;
}

export class BedrockJudge implements Judge {
  readonly provider: string;
  private readonly grader: Runnable<BaseMessage[], Record<string, unknown>>;

  constructor(
    model: ChatModel,
    readonly modelId: string,
  ) {
    this.provider = `bedrock:${modelId}`;
    this.grader = model.withStructuredOutput(gradeSchema, { name: JUDGE_TOOL_NAME });
  }

  buildMessages(input: JudgeInput): BaseMessage[] {
    return [
      new SystemMessage(input.prompt?.system ?? JUDGE_SYSTEM_PROMPT),
      new HumanMessage(buildJudgeUserMessage(input)),
    ];
  }

  async judge(input: JudgeInput): Promise<Judgment> {
    const raw = await this.grader.invoke(this.buildMessages(input));
    // ChatBedrockConverse returns the tool input as-is, without checking it against the schema.
    const parsed = gradeSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      throw new Error(
        `${this.provider} returned an invalid ${JUDGE_TOOL_NAME} result: ${problems}`,
      );
    }
    const grade = parsed.data;
    const flags = [...new Set<JudgeFlag>([...grade.flags, ...citationFlags(input)])].sort(
      (a, b) => FLAG_ORDER[a] - FLAG_ORDER[b],
    );
    return {
      score: judgmentScore(grade.groundedness, grade.coverage),
      groundedness: grade.groundedness,
      coverage: grade.coverage,
      flags,
      rationale: grade.rationale.trim(),
      provider: this.provider,
    };
  }
}
