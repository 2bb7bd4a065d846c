import { GENERATOR_SYSTEM_PROMPT, JUDGE_SYSTEM_PROMPT } from "../providers/bedrock/prompts.js";
import { JUDGE_FLAGS } from "../providers/bedrock/judge.js";
import { DEFAULT_MAX_SENTENCES } from "../providers/offline/extractive-generator.js";
import type { GeneratorPrompt, JudgeFlag, JudgePrompt } from "../providers/types.js";

/**
 * A prompt template's text, as stored (migration 0016) and proposed: prose for a model, plus
 * optional directive lines for the offline providers, which cannot read prose:
 *
 *   offline.max_sentences: 2        generator: quote at most N sentences (1-10; default 3)
 *   offline.citations: off          generator: no citation markers (on/off; default on)
 *   offline.ignore_flags: a, b      judge: never raise these flags (default none)
 *
 * Directive lines are taken out of the text a model is sent; the rest is the system prompt.
 * An unknown directive, a bad value or a template with no prose is refused when proposed.
 */

export const TEMPLATE_NAMES = ["generator", "judge"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** The built-in text of each template: version 1, seeded at start-up. */
export const BUILT_IN_TEMPLATES: Record<TemplateName, string> = {
  generator: GENERATOR_SYSTEM_PROMPT,
  judge: JUDGE_SYSTEM_PROMPT,
};

export const MAX_TEMPLATE_CHARS = 20_000;

const DIRECTIVE = /^[ \t]*offline\.([a-z_]+)[ \t]*:(.*)$/;

export class PromptTemplateError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

/** The prose lines and the directives of a template; an unparsable template throws. */
function split(name: TemplateName, body: string) {
  const directives = new Map<string, string>();
  const prose: string[] = [];
  const problems: string[] = [];
  for (const [index, line] of body.split(/\r?\n/).entries()) {
    const match = DIRECTIVE.exec(line);
    if (!match) {
      prose.push(line);
      continue;
    }
    const [, key, value] = match as unknown as [string, string, string];
    if (!ALLOWED[name].includes(key)) {
      problems.push(
        `line ${index + 1}: the ${name} template has no directive offline.${key} (it has ${ALLOWED[name].map((k) => `offline.${k}`).join(", ")})`,
      );
    } else if (directives.has(key)) {
      problems.push(`line ${index + 1}: offline.${key} is given twice`);
    } else {
      directives.set(key, value.trim());
    }
  }
  const system = prose.join("\n").trim();
  if (!system) problems.push("the template has no text for a model besides its directives");
  if (body.length > MAX_TEMPLATE_CHARS)
    problems.push(`the template is over ${MAX_TEMPLATE_CHARS} characters`);
  return { system, directives, problems };
}

const ALLOWED: Record<TemplateName, string[]> = {
  generator: ["max_sentences", "citations"],
  judge: ["ignore_flags"],
};

export function parseGeneratorTemplate(body: string): GeneratorPrompt {
  const { system, directives, problems } = split("generator", body);
  let maxSentences = DEFAULT_MAX_SENTENCES;
  const rawMax = directives.get("max_sentences");
  if (rawMax !== undefined) {
    maxSentences = Number(rawMax);
    if (!/^\d+$/.test(rawMax) || maxSentences < 1 || maxSentences > 10)
      problems.push(`offline.max_sentences must be a whole number from 1 to 10, got "${rawMax}"`);
  }
  const rawCitations = directives.get("citations") ?? "on";
  if (rawCitations !== "on" && rawCitations !== "off")
    problems.push(`offline.citations must be on or off, got "${rawCitations}"`);
  if (problems.length) throw new PromptTemplateError(problems);
  return { system, maxSentences, citations: rawCitations === "on" };
}

export function parseJudgeTemplate(body: string): JudgePrompt {
  const { system, directives, problems } = split("judge", body);
  const raw = directives.get("ignore_flags") ?? "";
  const ignoreFlags = raw
    .split(",")
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of ignoreFlags) {
    if (!(JUDGE_FLAGS as string[]).includes(f))
      problems.push(`offline.ignore_flags: "${f}" is not a judge flag (${JUDGE_FLAGS.join(", ")})`);
  }
  if (problems.length) throw new PromptTemplateError(problems);
  return { system, ignoreFlags: ignoreFlags as JudgeFlag[] };
}

/** Checks a template's text; throws PromptTemplateError with every problem found. */
export function validateTemplate(name: TemplateName, body: string): void {
  if (name === "generator") parseGeneratorTemplate(body);
  else parseJudgeTemplate(body);
}

/** The parsed templates a run uses (src/graph/configuration.ts `prompts`). */
export interface PromptSet {
  generator: GeneratorPrompt;
  judge: JudgePrompt;
}

/** The parsed templates from their text. */
export function promptSetOf(bodies: Record<TemplateName, string>): PromptSet {
  return {
    generator: parseGeneratorTemplate(bodies.generator),
    judge: parseJudgeTemplate(bodies.judge),
  };
}
