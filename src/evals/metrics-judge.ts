import type { Judge } from "../providers/types.js";

/** The id the reference answer gets as the judge's only evidence passage. */
export const REFERENCE_CHUNK_ID = "00000000-0000-4000-8000-000000000000";

/**
 * Answer quality with a model provider: the configured judge grades the draft against the
 * human reference answer, passed as its only evidence passage. Every citation marker of the
 * draft is pointed at that passage, so groundedness reads "how much of the draft the reference
 * supports" and coverage "how much of the question the draft addresses".
 */
export async function judgeAgainstReference(
  judge: Judge,
  question: string,
  draft: string,
  reference: string,
): Promise<number> {
  const text = /\[\d+\]/.test(draft) ? draft.replace(/\[\d+\]/g, "[1]") : `${draft.trim()} [1]`;
  const judgment = await judge.judge({
    question,
    evidence: [
      {
        chunk_id: REFERENCE_CHUNK_ID,
        document_id: REFERENCE_CHUNK_ID,
        title: "Reference answer",
        text: reference,
        score: 1,
      },
    ],
    draft: {
      text,
      citations: [{ marker: 1, chunk_id: REFERENCE_CHUNK_ID, title: "Reference answer" }],
      provider: "eval",
    },
  });
  return judgment.score;
}
