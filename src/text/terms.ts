/**
 * Deterministic term analysis for the offline generator and judge: lower-cased words without
 * stop words, with a light suffix stripper so "returns", "returned" and "return" meet.
 */
const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being " +
    "below between both but by can could did do does doing down during each few for from further " +
    "had has have having he her here hers herself him himself his how i if in into is it its " +
    "itself just me more most my myself no nor not now of off on once only or other our ours " +
    "ourselves out over own same she should so some such than that the their theirs them " +
    "themselves then there these they this those through to too under until up very was we were " +
    "what when where which while who whom why will with would you your yours yourself " +
    "yourselves tell please much many get got also may might must shall"
  ).split(" "),
);

/** Whether a lower-cased word is one of the stop words the term analysis drops. */
export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

export function stem(word: string): string {
  if (word.length <= 3) return word;
  for (const [suffix, replacement] of [
    ["ies", "y"],
    ["ing", ""],
    ["ed", ""],
    ["es", ""],
    ["s", ""],
    ["ly", ""],
  ] as const) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
      return dropFinalE(word.slice(0, word.length - suffix.length) + replacement);
    }
  }
  return dropFinalE(word);
}

/** "expire" and "expires" both become "expir". */
function dropFinalE(word: string): string {
  return word.length > 4 && word.endsWith("e") ? word.slice(0, -1) : word;
}

/** Content words of a text, in order, with repeats, lower-cased but not stemmed. */
export function contentWords(text: string): string[] {
  // Any script's letters: "café" is one word, not "caf".
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+(?:[.'’][\p{L}\p{N}]+)*/gu) ?? [];
  return words
    .map((w) => w.replace(/['’]s$/, "").replace(/['’]/g, ""))
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/** Content terms of a text, in order, with repeats. */
export function terms(text: string): string[] {
  return contentWords(text).map(stem);
}

export function termSet(text: string): Set<string> {
  return new Set(terms(text));
}

/** Abbreviations whose full stop does not end a sentence ("4:00 p.m. Eastern Time"). */
const ABBREVIATION = /(?:\b(?:a\.m|p\.m|e\.g|i\.e|etc|approx|Dr|Mr|Mrs|Ms|St|No|vs)\.)$/i;

/** Splits text into sentences, keeping each sentence's own punctuation. */
export function sentences(text: string): string[] {
  // Lines first, so each bullet of a list stands alone, then sentence ends within a paragraph.
  return text
    .split(/\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s)/)
    .map((block) => block.replace(/^\s*(?:[-*+]|\d+\.)\s+/, "").replace(/\s+/g, " "))
    .flatMap(splitSentences)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function splitSentences(block: string): string[] {
  const pieces = block.split(/(?<=[.!?])\s+(?=[A-Z0-9"(])/);
  const merged: string[] = [];
  for (const piece of pieces) {
    const last = merged.at(-1);
    if (last !== undefined && ABBREVIATION.test(last))
      merged[merged.length - 1] = `${last} ${piece}`;
    else merged.push(piece);
  }
  return merged;
}

/** Share of `wanted` terms present in `have`, in [0, 1]; 0 when nothing is wanted. */
export function coverage(wanted: Set<string>, have: Set<string>): number {
  if (wanted.size === 0) return 0;
  let hit = 0;
  for (const t of wanted) if (have.has(t)) hit++;
  return hit / wanted.size;
}
