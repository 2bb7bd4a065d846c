/**
 * The one word-level diff of signoff: the reviewer page shows it live while an answer is edited
 * (bundled into the browser script) and the dataset export stores it (src/evals/export-diff.ts).
 *
 * Text is split into tokens: words (letters and digits, keeping inner `'’.,:/-` as in "4,000",
 * "don't", "24/7"), single punctuation marks, and runs of whitespace. jsdiff's `diffArrays`
 * (Myers) over the tokens gives equal, deleted and inserted runs. A whitespace-only equal run
 * between two changes is folded into them, so "a b c" → "a x y c" reads as one replacement,
 * and a removal always comes before the addition that replaces it.
 *
 * Concatenating the `equal` and `delete` ops gives `before` back, `equal` and `insert` `after`.
 */
import { diffArrays } from "diff";

export type DiffOp = { op: "equal" | "delete" | "insert"; text: string };

const TOKEN = /[\p{L}\p{N}_]+(?:['’.,:/-][\p{L}\p{N}_]+)*|\s+|[^\s\p{L}\p{N}_]/gu;

/**
 * Myers costs about tokens × edits. Past this many steps the texts have little in common, and the
 * differing middle is shown as one replacement instead (the live diff runs on every keystroke).
 * Measured in Node 20: a 300-word answer rewritten from scratch stops after ~30 ms, 3,000 words
 * reversed after ~5 ms; an ordinary edit takes well under 1 ms.
 */
const MAX_STEPS = 1_000_000;
const MIN_EDITS = 100;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

const isSpace = (text: string): boolean => /^\s+$/.test(text);

/** The word-level diff from `before` to `after`. */
export function wordDiff(before: string, after: string): DiffOp[] {
  const a = tokenize(before);
  const b = tokenize(after);
  const maxEditLength = Math.max(MIN_EDITS, Math.floor(MAX_STEPS / (a.length + b.length + 1)));
  const changes = diffArrays(a, b, { maxEditLength });
  const tokens: DiffOp[] = changes
    ? changes.map((change) => ({
        op: change.added ? "insert" : change.removed ? "delete" : "equal",
        text: change.value.join(""),
      }))
    : wholesale(a, b);
  return tidy(tokens);
}

/** Too different to search: the common ends stay, the middle is one replacement. */
function wholesale(a: string[], b: string[]): DiffOp[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return [
    { op: "equal", text: a.slice(0, start).join("") },
    { op: "delete", text: a.slice(start, endA).join("") },
    { op: "insert", text: b.slice(start, endB).join("") },
    { op: "equal", text: a.slice(endA).join("") },
  ];
}

type Block = { equal: string } | { del: string; ins: string };

/** Merges runs, folds whitespace between changes into them, and emits delete before insert. */
function tidy(tokens: DiffOp[]): DiffOp[] {
  const blocks: Block[] = [];
  for (const { op, text } of tokens) {
    if (!text) continue;
    const last = blocks.at(-1);
    if (op === "equal") {
      if (last && "equal" in last) last.equal += text;
      else blocks.push({ equal: text });
    } else {
      let change = last && "del" in last ? last : undefined;
      if (!change) blocks.push((change = { del: "", ins: "" }));
      if (op === "delete") change.del += text;
      else change.ins += text;
    }
  }
  const folded: Block[] = [];
  for (let k = 0; k < blocks.length; k++) {
    const block = blocks[k]!;
    const prev = folded.at(-1);
    const next = blocks[k + 1];
    if (
      "equal" in block &&
      isSpace(block.equal) &&
      prev &&
      "del" in prev &&
      next &&
      "del" in next
    ) {
      prev.del += block.equal + next.del;
      prev.ins += block.equal + next.ins;
      k++;
      continue;
    }
    folded.push("equal" in block ? { equal: block.equal } : { del: block.del, ins: block.ins });
  }
  const ops: DiffOp[] = [];
  const pushEqual = (text: string) => {
    const last = ops.at(-1);
    if (last?.op === "equal") last.text += text;
    else if (text) ops.push({ op: "equal", text });
  };
  for (const block of folded) {
    if ("equal" in block) {
      pushEqual(block.equal);
      continue;
    }
    // Whitespace both sides start or end with is unchanged text, not part of the change.
    const lead = commonSpace(block.del, block.ins, "start");
    const trail = commonSpace(block.del.slice(lead.length), block.ins.slice(lead.length), "end");
    const del = block.del.slice(lead.length, block.del.length - trail.length);
    const ins = block.ins.slice(lead.length, block.ins.length - trail.length);
    pushEqual(lead);
    if (del) ops.push({ op: "delete", text: del });
    if (ins) ops.push({ op: "insert", text: ins });
    pushEqual(trail);
  }
  return ops;
}

function commonSpace(a: string, b: string, side: "start" | "end"): string {
  const pattern = side === "start" ? /^\s+/ : /\s+$/;
  const x = a.match(pattern)?.[0] ?? "";
  const y = b.match(pattern)?.[0] ?? "";
  if (!x || !y || x.length === a.length || y.length === b.length) return "";
  let n = 0;
  const max = Math.min(x.length, y.length);
  while (
    n < max &&
    (side === "start" ? x[n] === y[n] : x[x.length - 1 - n] === y[y.length - 1 - n])
  )
    n++;
  return side === "start" ? x.slice(0, n) : x.slice(x.length - n);
}

/** The two texts a diff was made from. */
export function sidesOf(ops: DiffOp[]): { before: string; after: string } {
  return {
    before: ops
      .filter((o) => o.op !== "insert")
      .map((o) => o.text)
      .join(""),
    after: ops
      .filter((o) => o.op !== "delete")
      .map((o) => o.text)
      .join(""),
  };
}

/** How many words a piece of a diff holds (runs of non-space), for "3 words removed". */
export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}
