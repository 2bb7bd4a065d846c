import { terms } from "../text/terms.js";

/**
 * Answer quality offline: SQuAD-style token F1 of the draft against the reference answer, and
 * the verdict built on it (see src/evals/metrics.ts for how the evals use them).
 */

/** Token F1 at or over this cut counts as a correct answer. */
export const QUALITY_CUT = 0.5;

export interface TokenF1 {
  precision: number;
  recall: number;
  f1: number;
}

const CITATION_MARKER = /\[\d+\]/g;

/** Negation flips an answer's meaning, so the metric keeps these words the term list drops. */
const NEGATORS = new Set([
  "no",
  "not",
  "nor",
  "never",
  "without",
  "cannot",
  "don't",
  "doesn't",
  "isn't",
  "aren't",
]);

function answerTerms(text: string): string[] {
  const clean = text.replace(CITATION_MARKER, " ");
  const negations = (clean.toLowerCase().match(/[a-z']+/g) ?? [])
    .filter((w) => NEGATORS.has(w) || w.endsWith("n't"))
    .map(() => "not");
  return [...terms(clean), ...negations];
}

/**
 * The offline verdict: F1 at or over the cut, and the same polarity (both say no, or neither):
 * "do not take it with alcohol" against "take it with alcohol" shares almost every word.
 */
export function lexicallyCorrect(
  candidate: string,
  reference: string,
  cut: number = QUALITY_CUT,
): boolean {
  const negated = (text: string) => answerTerms(text).includes("not");
  return tokenF1(candidate, reference).f1 >= cut && negated(candidate) === negated(reference);
}

/**
 * SQuAD-style token F1 of `candidate` against `reference` on stemmed content terms, with every
 * negation ("no", "not", "never", "without", "…n't") kept as a "not" term.
 */
export function tokenF1(candidate: string, reference: string): TokenF1 {
  const got = answerTerms(candidate);
  const want = answerTerms(reference);
  if (got.length === 0 || want.length === 0) {
    const same = got.length === want.length ? 1 : 0;
    return { precision: same, recall: same, f1: same };
  }
  const counts = new Map<string, number>();
  for (const t of want) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of got) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      overlap++;
      counts.set(t, left - 1);
    }
  }
  if (overlap === 0) return { precision: 0, recall: 0, f1: 0 };
  const precision = overlap / got.length;
  const recall = overlap / want.length;
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}
