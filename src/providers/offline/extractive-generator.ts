import {
  expectedAnswerType,
  focusConcepts,
  hasAnswerType,
  notAStatement,
  sectionHeadingOf,
  statedPolarity,
  statesConcept,
  withoutPersonalData,
  yesNoClause,
} from "../../text/answer-shape.js";
import { contentWords, sentences, stem, termSet } from "../../text/terms.js";
import type { Citation, Draft, GenerateInput, Generator } from "../types.js";

/** Most sentences quoted unless the template's offline.max_sentences says otherwise. */
export const DEFAULT_MAX_SENTENCES = 3;

export const NO_ANSWER_TEXT = "The knowledge base does not contain an answer to this question.";

interface Candidate {
  sentence: string;
  passageIndex: number;
  /**
   * The terms that count for the question: a joined list counts only its lead-in's; with those
   * of the section heading the sentence sits under.
   */
  terms: Set<string>;
}

/** A further sentence must add at least this share of the first one's gain. */
const FURTHER_SENTENCE_GAIN = 0.6;

/**
 * Questions asking in which cases to act, or what to do: the answer is every case the passage
 * lists ("contact a doctor if it lasts 3 days", "… if it reaches 39.4 °C"), not the first one.
 */
const ALL_CASES =
  /\bwhen (?:should|must) \w+|\bwhat (?:should|must|do|can) (?:i|we|you|they) do\b|\bwhat now\b|\bin (?:which|what) cases\b/i;

/**
 * Offline, deterministic generation: quotes the evidence sentences that best cover the question
 * (and a reviewer's revision instructions), each followed by a citation marker. Sentences are
 * picked greedily by the weight of the still-uncovered question terms they add, at most three;
 * a term's weight is its rarity among the evidence sentences (ln(1 + S / df)), so "Sunday"
 * decides between two sentences that both mention "store" and "hours". On top of the terms:
 * - headings, titles and page boilerplate are never quoted; a list's lead-in ("… include:") is
 *   quoted with its list; a sentence counts the words of its section heading as its own;
 * - the question's focus counts twice the heaviest term however the evidence words it:
 *   "maximum" is met by "not more than 4,000 mg" or "up to 20" (src/text/answer-shape.ts);
 * - a sentence holding the kind of thing asked for (a number for "how many", a time for "when",
 *   a phone number …) gains as much as the question's heaviest term;
 * - a further sentence must add two new question terms and most of the first one's gain, so a
 *   short question gets the one sentence that answers it;
 * - a yes/no question's draft starts with "Yes." or "No." when the first sentence states which
 *   (src/text/answer-shape.ts, statedPolarity); otherwise it has no lead and the judge flags it.
 * The prompt template's directives (src/prompts/template.ts) set the most sentences quoted
 * (offline.max_sentences, default 3) and whether markers follow them (offline.citations).
 */
export class ExtractiveGenerator implements Generator {
  readonly provider = "offline-extractive";

  generate(input: GenerateInput): Promise<Draft> {
    const maxSentences = input.prompt?.maxSentences ?? DEFAULT_MAX_SENTENCES;
    const asked = `${withoutPersonalData(input.question)} ${input.instructions ?? ""}`;
    const concepts = focusConcepts(input.question);
    // The words that name a concept ("maximum") are met by the concept's phrasings instead.
    const conceptStems = new Set(
      contentWords(input.question)
        .filter((w) => concepts.some((c) => c.question.test(w)))
        .map(stem),
    );
    const wanted = new Set([...termSet(asked)].filter((t) => !conceptStems.has(t)));
    const answerType = expectedAnswerType(input.question);
    const candidates: Candidate[] = input.evidence.flatMap((passage, passageIndex) =>
      quotableSentences(passage.text).map(({ sentence, lead }) => ({
        sentence,
        passageIndex,
        // A sentence is also about its section's heading ("## Lost property").
        terms: termSet(`${lead} ${sectionHeadingOf(passage.text, lead) ?? ""}`),
      })),
    );
    const df = new Map<string, number>();
    for (const c of candidates) for (const t of c.terms) df.set(t, (df.get(t) ?? 0) + 1);
    const weight = (t: string): number => Math.log(1 + candidates.length / (df.get(t) ?? 1));
    const heaviest = Math.max(0, ...[...wanted].filter((t) => df.has(t)).map(weight));
    const shapeGain = (candidate: Candidate, picked: Candidate[]): number => {
      let gain = 0;
      const already = (test: (s: string) => boolean) => picked.some((p) => test(p.sentence));
      for (const concept of concepts) {
        const says = (s: string) => statesConcept(s, concept);
        // The focus outweighs any single word: "not more than 4,000 mg" beats "the usual dose".
        if (says(candidate.sentence) && !already(says)) gain += 2 * heaviest;
      }
      if (answerType) {
        const has = (s: string) => hasAnswerType(s, answerType, input.question);
        if (has(candidate.sentence) && !already(has)) gain += heaviest;
      }
      return gain;
    };
    let firstGain = 0;
    let firstTerms = 0;
    const allCases = ALL_CASES.test(input.question);
    const questionTermsOf = (c: Candidate) => [...c.terms].filter((t) => wanted.has(t)).length;
    const picked: Candidate[] = [];
    const covered = new Set<string>();
    while (picked.length < maxSentences) {
      let best: Candidate | undefined;
      let bestGain = 0;
      for (const candidate of candidates) {
        if (picked.includes(candidate)) continue;
        let gain = 0;
        let added = 0;
        for (const t of candidate.terms) {
          if (wanted.has(t) && !covered.has(t)) {
            gain += weight(t);
            added++;
          }
        }
        // Only sentences about the question earn the shape bonus.
        if (added > 0) gain += shapeGain(candidate, picked);
        // After the first pick, a sentence must add two new question terms and most of the gain,
        // or, for a question after every case, be a parallel case from the same passage: all but
        // one of the first sentence's question terms.
        const parallel =
          allCases &&
          candidate.passageIndex === picked[0]?.passageIndex &&
          questionTermsOf(candidate) >= Math.max(2, firstTerms - 1);
        if (parallel && gain === 0) gain = 1e-6;
        if (
          picked.length > 0 &&
          !parallel &&
          (added < 2 || gain < FURTHER_SENTENCE_GAIN * firstGain)
        )
          continue;
        if (gain > bestGain + 1e-9) {
          best = candidate;
          bestGain = gain;
        }
      }
      if (!best) break;
      if (picked.length === 0) {
        firstGain = bestGain;
        firstTerms = questionTermsOf(best);
      }
      picked.push(best);
      for (const t of best.terms) if (wanted.has(t)) covered.add(t);
    }
    if (picked.length === 0) {
      return Promise.resolve({ text: NO_ANSWER_TEXT, citations: [], provider: this.provider });
    }
    const citations: Citation[] = [];
    const markerOf = (passageIndex: number): number => {
      const passage = input.evidence[passageIndex]!;
      let citation = citations.find((c) => c.chunk_id === passage.chunk_id);
      if (!citation) {
        citation = {
          marker: citations.length + 1,
          chunk_id: passage.chunk_id,
          title: passage.title,
        };
        citations.push(citation);
      }
      return citation.marker;
    };
    // A yes/no question gets its "Yes." or "No." first when the quoted sentence states it.
    const clause = yesNoClause(input.question);
    const polarity = clause && statedPolarity(clause, picked[0]!.sentence);
    const lead = polarity ? `${polarity === "yes" ? "Yes." : "No."} ` : "";
    if (input.prompt?.citations === false) {
      const text = lead + picked.map((c) => c.sentence).join(" ");
      return Promise.resolve({ text, citations: [], provider: this.provider });
    }
    const text = lead + picked.map((c) => `${c.sentence} [${markerOf(c.passageIndex)}]`).join(" ");
    return Promise.resolve({ text, citations, provider: this.provider });
  }
}

/**
 * The sentences of a passage that can be quoted as an answer: statements, with a list's lead-in
 * joined to its items ("Signs include: thirst; dark urine."), and no headings or boilerplate.
 */
export function quotableSentences(text: string): { sentence: string; lead: string }[] {
  const out: { sentence: string; lead: string }[] = [];
  const lines = text.split("\n");
  const all = sentences(text);
  for (let i = 0; i < all.length; i++) {
    const sentence = all[i]!;
    if (sentence.endsWith(":")) {
      const items = listItemsAfter(lines, sentence);
      if (items.length > 0) {
        const joined = `${sentence} ${items.map((item) => item.replace(/[.;]$/, "")).join("; ")}.`;
        // The whole list answers "which …" through its lead-in; each item still stands alone.
        out.push({ sentence: joined, lead: sentence });
      }
      continue;
    }
    if (notAStatement(sentence) === null) out.push({ sentence, lead: sentence });
  }
  return out;
}

/** The bullet lines right after the line that ends with `leadIn`. */
function listItemsAfter(lines: string[], leadIn: string): string[] {
  const at = lines.findIndex((line) => line.trim().endsWith(leadIn.slice(-40)));
  if (at === -1) return [];
  const items: string[] = [];
  for (const line of lines.slice(at + 1)) {
    const bullet = /^\s*(?:[-*+]|\d+\.)\s+(.*)$/.exec(line);
    if (bullet) items.push(bullet[1]!.trim());
    else if (line.trim() !== "" || items.length > 0) break;
  }
  return items;
}
