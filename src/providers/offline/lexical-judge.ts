import {
  type AnswerType,
  answerTypeWords,
  askedParts,
  expectedAnswerType,
  focusConcepts,
  hasAnswerType,
  leadsWithYesOrNo,
  namesAnswerType,
  notAStatement,
  sectionHeadingOf,
  statedPolarity,
  statesConcept,
  WH_PHRASE,
  withoutPersonalData,
  yesNoClause,
} from "../../text/answer-shape.js";
import { isCommonVerb, subjectWordsOf, wordVariants } from "../../text/question-subject.js";
import { contentWords, coverage, sentences, stem, termSet } from "../../text/terms.js";
import type { JudgeFlag, JudgeInput, Judge, Judgment } from "../types.js";
import type { CorpusVocabulary } from "./corpus-vocabulary.js";

const MARKER = /\[(\d+)\]/g;

/**
 * A draft covering this share of the question's subject terms has likely paraphrased the one it
 * misses: the knowledge base's rarest question word is only looked for under it, and the cited
 * passage's most specific word (a weaker signal: passages are short) under the second.
 */
const FOCUS_CHECK_UNDER_COVERAGE = 0.75;
const PASSAGE_FOCUS_CHECK_UNDER_COVERAGE = 0.5;

/**
 * Offline, deterministic judge.
 * - groundedness: for each sentence of the draft, the share of its terms found in the passages
 *   it cites, averaged over sentences (a sentence without a citation scores 0);
 * - coverage: the share of the question's terms that the draft mentions;
 * - score: the geometric mean sqrt(groundedness × coverage), so either one being low pulls the
 *   score down.
 * Flags (each explained in plain words in `explanations`, which the review card shows):
 * no_answer, missing_citations, unknown_citation, unsupported_claims (a sentence under 50%
 * supported), off_topic (no question term answered), and the usual failures of quoting:
 * - heading_quoted: a sentence of the draft is a heading, a title, boilerplate or a list's
 *   lead-in without the list;
 * - answer_type_missing: the question asks who / how many / how long / when / where / for a
 *   phone number or email, and the draft has nothing of that kind; or it asks yes or no, and
 *   the draft neither starts with "Yes"/"No" nor has a sentence stating either;
 * - focus_missing: a question asking two things ("what … and how …", two questions, "X or
 *   Y?") has a part the draft says nothing of; or the question's focus is not in the draft: a paraphrased concept ("maximum"
 *   is also "not more than", "up to") or its most specific word, the question term fewest
 *   evidence sentences share, when the cited passages have it and the draft does not (the right
 *   passage, the wrong sentence);
 * - unknown_subject: a word of the question appears nowhere in the knowledge base (with a
 *   vocabulary to ask), so common words matched but the subject is not covered.
 * The prompt template's offline.ignore_flags (src/prompts/template.ts) names flags it does not
 * raise: a more lenient judge, whose effect a prompt's dry run shows.
 */
export class LexicalJudge implements Judge {
  readonly provider = "offline-lexical";

  constructor(private readonly vocabulary?: CorpusVocabulary) {}

  async judge({ question, evidence, draft, prompt }: JudgeInput): Promise<Judgment> {
    const flags = new Set<JudgeFlag>();
    const explanations: Partial<Record<JudgeFlag, string>> = {};
    const flag = (f: JudgeFlag, why?: string) => {
      flags.add(f);
      if (why && !explanations[f]) explanations[f] = why;
    };
    const byMarker = new Map(draft.citations.map((c) => [c.marker, c.chunk_id]));
    const passageTerms = new Map(
      evidence.map((p) => [p.chunk_id, termSet(`${p.title} ${p.text}`)]),
    );
    if (draft.citations.length === 0)
      flags.add(draft.text.trim() ? "missing_citations" : "no_answer");

    const draftSentences = sentences(draft.text);
    const cited = new Set<string>();
    // The section headings the quoted sentences sit under: their context ("## Lost property").
    const headings: string[] = [];
    const perSentence = draftSentences.map((sentence) => {
      const markers = [...sentence.matchAll(MARKER)].map((m) => Number(m[1]));
      // A lead "Yes." or "No." is supported by the sentence it leads.
      const own = termSet(sentence.replace(MARKER, " ").replace(/^\s*(?:yes|no)\b[.,!]?/i, " "));
      const support = new Set<string>();
      for (const marker of markers) {
        const chunkId = byMarker.get(marker);
        const terms = chunkId ? passageTerms.get(chunkId) : undefined;
        if (!terms) {
          flags.add("unknown_citation");
          continue;
        }
        cited.add(chunkId!);
        for (const t of terms) support.add(t);
        const passage = evidence.find((p) => p.chunk_id === chunkId);
        const heading = passage && sectionHeadingOf(passage.text, sentence);
        if (heading) headings.push(heading);
      }
      return own.size === 0 ? 1 : coverage(own, support);
    });
    const groundedness = perSentence.length
      ? perSentence.reduce((a, b) => a + b, 0) / perSentence.length
      : 0;
    if (perSentence.some((s) => s < 0.5)) flags.add("unsupported_claims");

    const answerText = draft.text.replace(MARKER, " ");
    // The asker's own email or phone number is not something the answer should mention.
    const questionTerms = termSet(withoutPersonalData(question));
    // A quoted sentence says what its section heading says it is about.
    const answerTerms = termSet([answerText, ...headings].join(" "));
    const type = expectedAnswerType(question);
    const covered = [...questionTerms].filter((t) => answerTerms.has(t));
    const missing = [...questionTerms].filter((t) => !answerTerms.has(t));
    const cov = coverage(questionTerms, answerTerms);
    if (questionTerms.size > 0 && cov === 0) flags.add("off_topic");
    // For the focus checks: the question's subject terms (not its wh-phrase, a paraphrased
    // concept or the words naming the answer's kind), met by any form of the word ("withdraw" by
    // "withdrawals").
    const formStems = formStemsOf(question, type);
    const subjectTerms = [...termSet(question.replace(WH_PHRASE, " "))].filter(
      (t) => !formStems.has(t),
    );
    const subjectCoverage = subjectTerms.length
      ? subjectTerms.filter((t) => mentions(answerTerms, t)).length / subjectTerms.length
      : 1;

    if (draft.citations.length > 0) {
      for (const sentence of draftSentences) {
        const what = notAStatement(sentence);
        if (what) {
          flag(
            "heading_quoted",
            `the draft quotes ${what} as if it were the answer: "${sentence.replace(MARKER, "").trim()}"`,
          );
        }
      }
      if (type && !hasAnswerType(answerText, type, question)) {
        flag(
          "answer_type_missing",
          `the question asks for ${answerTypeWords[type]}, and the draft gives none`,
        );
      }
      const clause = yesNoClause(question);
      if (
        clause &&
        !leadsWithYesOrNo(answerText) &&
        !draftSentences.some((s) => statedPolarity(clause, s.replace(MARKER, " ")) !== null)
      ) {
        flag(
          "answer_type_missing",
          "the question asks yes or no, and the draft neither affirms nor denies it",
        );
      }
      const part = unansweredPart(question, answerTerms, answerText, formStems);
      if (part) {
        flag(
          "focus_missing",
          `the question asks more than one thing, and the draft does not answer "${part}"`,
        );
      }
      const focus = focusMiss(
        question,
        answerTerms,
        evidence.filter((p) => cited.has(p.chunk_id)),
        subjectCoverage,
        formStems,
        answerText,
      );
      if (focus && !part) flag("focus_missing", focus);
    }
    const { unknown, rarest } = await this.subjectWords(question, formStems);
    // A cited passage holding the word is the right passage: the wrong-sentence check above
    // judges it; this one is for a draft quoting a passage without the question's focus.
    const citedTerms = [...cited].map((id) => passageTerms.get(id)!);
    const said = (terms: Set<string>) =>
      rarest !== null && wordVariants(rarest).some((v) => mentions(terms, stem(v)));
    if (
      draft.citations.length > 0 &&
      !flags.has("focus_missing") &&
      subjectCoverage < FOCUS_CHECK_UNDER_COVERAGE &&
      rarest !== null &&
      !said(answerTerms) &&
      !citedTerms.some(said)
    ) {
      flag(
        "focus_missing",
        `the draft never mentions "${rarest}", the question's most specific word (the one the knowledge base uses least): it may quote the wrong passage`,
      );
    }
    if (unknown.length > 0) {
      flag(
        "unknown_subject",
        `the knowledge base never mentions ${unknown.map((w) => `"${w}"`).join(", ")}, so it ` +
          `probably cannot answer this question even though other words match`,
      );
    }

    // Flags the template ignores are not raised, nor explained.
    for (const f of prompt?.ignoreFlags ?? []) {
      flags.delete(f);
      delete explanations[f];
    }
    const score = round(Math.sqrt(groundedness * cov));
    const rationale =
      `Groundedness ${groundedness.toFixed(2)}: share of each sentence's words found in the passages it cites. ` +
      `Coverage ${cov.toFixed(2)}: the answer mentions ${covered.length} of ${questionTerms.size} question terms` +
      (missing.length ? ` (missing: ${missing.join(", ")}).` : ".") +
      Object.values(explanations)
        .map((e) => ` Flag: ${e}.`)
        .join("");
    return {
      score,
      groundedness: round(groundedness),
      coverage: round(cov),
      flags: [...flags],
      explanations,
      rationale,
      provider: this.provider,
    };
  }

  /**
   * The question's subject words (src/text/question-subject.ts) that no chunk of the knowledge
   * base contains in any spelling, and the known content word fewest chunks contain (the
   * question's most specific word; null without a vocabulary). Everyday verbs ("give", "take")
   * and the words of the form (the wh-phrase, a paraphrased concept, "email address") are never
   * the most specific word: the answer words them its own way.
   */
  private async subjectWords(
    question: string,
    formStems: Set<string>,
  ): Promise<{ unknown: string[]; rarest: string | null }> {
    if (!this.vocabulary) return { unknown: [], rarest: null };
    const asked = withoutPersonalData(question).replace(WH_PHRASE, " ");
    const words = [...new Set(contentWords(asked))].filter(
      (w) => w.length >= 3 && !/^\d+$/.test(w),
    );
    const subjects = [...new Set(subjectWordsOf(asked))];
    const all = [...new Set([...words, ...subjects])];
    const frequency = await this.vocabulary.chunkFrequency(all.flatMap(wordVariants));
    // A word's count is its most used spelling's; undefined when the parser keeps none of them.
    const chunksOf = (w: string): number | undefined => {
      const counts = wordVariants(w).flatMap((v) => frequency.get(v) ?? []);
      return counts.length ? Math.max(...counts) : undefined;
    };
    let rarest: string | null = null;
    let rarestChunks = Infinity;
    for (const w of words) {
      if (w.endsWith("ly") || formStems.has(stem(w)) || isCommonVerb(w)) continue;
      const df = chunksOf(w);
      if (df && df < rarestChunks) {
        rarest = w;
        rarestChunks = df;
      }
    }
    // A word naming the answer's kind or a paraphrased concept ("email address", "longest") is
    // worded the knowledge base's own way ("feedback@…", "up to"): not a missing subject.
    const unknown = subjects.filter((w) => chunksOf(w) === 0 && !formStems.has(stem(w)));
    return { unknown, rarest };
  }
}

/**
 * Why the draft misses the question's focus, or null: a paraphrased concept the question asks
 * about that no wording of the draft expresses; else the question's most specific term (the one
 * the fewest sentences of the cited passages share) that the cited passages contain and the
 * draft does not.
 */
function focusMiss(
  question: string,
  answerTerms: Set<string>,
  citedPassages: { text: string }[],
  questionCoverage: number,
  formStems: Set<string>,
  answerText: string,
): string | null {
  for (const concept of focusConcepts(question)) {
    if (!statesConcept(answerText, concept)) {
      return `the question asks about ${concept.words}, and the draft does not say it`;
    }
  }
  if (questionCoverage >= FOCUS_CHECK_UNDER_COVERAGE) return null;
  if (questionCoverage >= PASSAGE_FOCUS_CHECK_UNDER_COVERAGE) return null;
  const passageSentences = citedPassages.flatMap((p) => sentences(p.text).map((s) => termSet(s)));
  // Adverbs ("daily", "quickly") say how, not what: the answer words them its own way.
  const adverbs = new Set(
    contentWords(question)
      .filter((w) => w.endsWith("ly"))
      .map(stem),
  );
  let rarest: { term: string; df: number }[] = [];
  for (const term of termSet(question.replace(WH_PHRASE, " "))) {
    if (formStems.has(term) || adverbs.has(term) || isCommonVerb(term)) continue;
    const df = passageSentences.filter((s) => mentions(s, term)).length;
    if (df === 0) continue;
    if (rarest.length === 0 || df < rarest[0]!.df) rarest = [{ term, df }];
    else if (df === rarest[0]!.df) rarest.push({ term, df });
  }
  if (rarest.length === 0 || rarest.some((r) => mentions(answerTerms, r.term))) return null;
  const wordOf = new Map(contentWords(question).map((w) => [stem(w), w] as const));
  const word = rarest.map((r) => `"${wordOf.get(r.term) ?? r.term}"`).join(" or ");
  return `the cited passage mentions ${word}, the most specific word of the question, but the quoted sentence does not: it may be the right passage but the wrong sentence`;
}

/**
 * The part of a question asking several things (src/text/answer-shape.ts, askedParts) that the
 * draft says nothing about: none of the words only that part uses, or, for a part worded only by
 * its form ("how long does it take"), nothing of the kind it asks for. Null when each is met.
 */
function unansweredPart(
  question: string,
  answerTerms: Set<string>,
  answerText: string,
  formStems: Set<string>,
): string | null {
  const parts = askedParts(question);
  const termsOf = parts.map(
    (p) => new Set([...termSet(p.replace(WH_PHRASE, " "))].filter((t) => !formStems.has(t))),
  );
  for (let i = 0; i < parts.length; i++) {
    const own = [...termsOf[i]!].filter(
      (t) => !isCommonVerb(t) && termsOf.every((other, j) => j === i || !other.has(t)),
    );
    // A part worded only by its form ("how long does it take") asks for its kind of answer.
    const type = own.length === 0 ? expectedAnswerType(parts[i]!) : null;
    const unanswered =
      own.length > 0
        ? !own.some((t) => mentions(answerTerms, t))
        : type !== null && !hasAnswerType(answerText, type, parts[i]);
    if (unanswered) return parts[i]!.trim().replace(/\?$/, "");
  }
  return null;
}

/**
 * The stems of the question's words about the answer's form, not its subject: those naming a
 * paraphrased concept ("maximum") or the kind of answer ("email address").
 */
function formStemsOf(question: string, type: AnswerType | null): Set<string> {
  const concepts = focusConcepts(question);
  return new Set(
    contentWords(question)
      .filter((w) => concepts.some((c) => c.question.test(w)) || namesAnswerType(w, type))
      .map(stem),
  );
}

/** Whether the answer has the term in some form: one stem a prefix of the other ("dos", "dose"). */
function mentions(answerTerms: Set<string>, term: string): boolean {
  if (answerTerms.has(term)) return true;
  for (const t of answerTerms) {
    const [short, long] = t.length <= term.length ? [t, term] : [term, t];
    if (short.length >= 3 && long.startsWith(short)) return true;
  }
  return false;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
