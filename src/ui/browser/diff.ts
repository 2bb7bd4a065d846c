/** The live diff of an edited answer, drawn with text nodes, <del> and <ins> only. */
import { countWords, wordDiff } from "../../text/word-diff.js";

export interface DiffCounts {
  added: number;
  removed: number;
}

/** Shows the word diff from `before` to `after` in `box`; returns how many words changed. */
export function showDiff(box: HTMLElement, before: string, after: string): DiffCounts {
  box.textContent = "";
  const counts: DiffCounts = { added: 0, removed: 0 };
  for (const { op, text } of wordDiff(before, after)) {
    if (op === "equal") {
      box.append(text);
      continue;
    }
    const el = document.createElement(op === "insert" ? "ins" : "del");
    el.textContent = text;
    el.title = op === "insert" ? "added" : "removed";
    box.append(el);
    if (op === "insert") counts.added += countWords(text);
    else counts.removed += countWords(text);
  }
  return counts;
}
