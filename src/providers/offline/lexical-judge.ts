import { coverage, sentences, termSet } from "../../text/terms.js";
import type { JudgeFlag, JudgeInput, Judge, Judgment } from "../types.js";

const MARKER = /\[(\d+)\]/g;

/**
 * Offline, deterministic judge.
 * - groundedness: for each sentence of the draft, the share of its terms found in the passages
 *   it cites, averaged over sentences (a sentence without a citation scores 0);
 * - coverage: the share of the question's terms that the draft mentions;
 * - score: the geometric mean sqrt(groundedness × coverage), so either one being low pulls the
 *   score down.
 * Flags: no_answer, missing_citations, unknown_citation, unsupported_claims (a sentence under 50%
 * supported), off_topic (no question term answered).
 */
export class LexicalJudge implements Judge {
  readonly provider = "offline-lexical";

  judge({ question, evidence, draft }: JudgeInput): Promise<Judgment> {
    const flags = new Set<JudgeFlag>();
    const byMarker = new Map(draft.citations.map((c) => [c.marker, c.chunk_id]));
    const passageTerms = new Map(
      evidence.map((p) => [p.chunk_id, termSet(`${p.title} ${p.text}`)]),
    );
    if (draft.citations.length === 0)
      flags.add(draft.text.trim() ? "missing_citations" : "no_answer");

    const perSentence = sentences(draft.text).map((sentence) => {
      const markers = [...sentence.matchAll(MARKER)].map((m) => Number(m[1]));
      const own = termSet(sentence.replace(MARKER, " "));
      const support = new Set<string>();
      for (const marker of markers) {
        const chunkId = byMarker.get(marker);
        const terms = chunkId ? passageTerms.get(chunkId) : undefined;
        if (!terms) {
          flags.add("unknown_citation");
          continue;
        }
        for (const t of terms) support.add(t);
      }
      return own.size === 0 ? 1 : coverage(own, support);
    });
    const groundedness = perSentence.length
      ? perSentence.reduce((a, b) => a + b, 0) / perSentence.length
      : 0;
    if (perSentence.some((s) => s < 0.5)) flags.add("unsupported_claims");

    const questionTerms = termSet(question);
    const answerTerms = termSet(draft.text.replace(MARKER, " "));
    const covered = [...questionTerms].filter((t) => answerTerms.has(t));
    const missing = [...questionTerms].filter((t) => !answerTerms.has(t));
    const cov = coverage(questionTerms, answerTerms);
    if (questionTerms.size > 0 && cov === 0) flags.add("off_topic");

    const score = round(Math.sqrt(groundedness * cov));
    const rationale =
      `Groundedness ${groundedness.toFixed(2)}: share of each sentence's words found in the passages it cites. ` +
      `Coverage ${cov.toFixed(2)}: the answer mentions ${covered.length} of ${questionTerms.size} question terms` +
      (missing.length ? ` (missing: ${missing.join(", ")}).` : ".");
    return Promise.resolve({
      score,
      groundedness: round(groundedness),
      coverage: round(cov),
      flags: [...flags],
      rationale,
      provider: this.provider,
    });
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
