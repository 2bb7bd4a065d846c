/**
 * The word diff of a draft and the answer a human wrote instead, as the dataset export stores it.
 * The diff itself is src/text/word-diff.ts (the reviewer page shows the same one).
 *
 * `formatWordDiff` renders it like `git diff --word-diff=plain`: unchanged text as it is, removed
 * text as `[-…-]`, added text as `{+…+}`, a removal before the addition that replaces it:
 *
 *     Adults: [-up to 4 g-]{+at most 4,000 mg+} in 24 hours.
 */
import { wordDiff, type DiffOp } from "../text/word-diff.js";

export { sidesOf, tokenize, wordDiff, type DiffOp } from "../text/word-diff.js";

/** `git diff --word-diff=plain` style: `[-removed-]{+added+}`, unchanged text as it is. */
export function formatWordDiff(ops: DiffOp[]): string {
  return ops
    .map(({ op, text }) =>
      op === "equal" ? text : op === "delete" ? `[-${text}-]` : `{+${text}+}`,
    )
    .join("");
}

/** The formatted diff from `before` to `after`, or null when they are the same text. */
export function editDiff(before: string, after: string): string | null {
  if (before === after) return null;
  return formatWordDiff(wordDiff(before, after));
}
