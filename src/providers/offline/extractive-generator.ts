import { sentences, termSet } from "../../text/terms.js";
import type { Citation, Draft, GenerateInput, Generator } from "../types.js";

export const NO_ANSWER_TEXT = "The knowledge base does not contain an answer to this question.";
const MAX_SENTENCES = 3;

interface Candidate {
  sentence: string;
  passageIndex: number;
  terms: Set<string>;
}

/**
 * Offline, deterministic generation: quotes the evidence sentences that best cover the question
 * (and a reviewer's revision instructions), each followed by a citation marker. Sentences are
 * picked greedily by the weight of the still-uncovered question terms they add, at most three;
 * a term's weight is its rarity among the evidence sentences (ln(1 + S / df)), so "Sunday"
 * decides between two sentences that both mention "store" and "hours".
 */
export class ExtractiveGenerator implements Generator {
  readonly provider = "offline-extractive";

  generate(input: GenerateInput): Promise<Draft> {
    const wanted = termSet(`${input.question} ${input.instructions ?? ""}`);
    const candidates: Candidate[] = input.evidence.flatMap((passage, passageIndex) =>
      sentences(passage.text).map((sentence) => ({
        sentence,
        passageIndex,
        terms: termSet(sentence),
      })),
    );
    const df = new Map<string, number>();
    for (const c of candidates) for (const t of c.terms) df.set(t, (df.get(t) ?? 0) + 1);
    const weight = (t: string): number => Math.log(1 + candidates.length / (df.get(t) ?? 1));
    const picked: Candidate[] = [];
    const covered = new Set<string>();
    while (picked.length < MAX_SENTENCES) {
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
        // After the first pick, a sentence must add at least two new question terms.
        if (picked.length > 0 && added < 2) continue;
        if (gain > bestGain + 1e-9) {
          best = candidate;
          bestGain = gain;
        }
      }
      if (!best) break;
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
    const text = picked.map((c) => `${c.sentence} [${markerOf(c.passageIndex)}]`).join(" ");
    return Promise.resolve({ text, citations, provider: this.provider });
  }
}
