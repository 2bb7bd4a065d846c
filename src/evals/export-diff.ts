/**
 * Word-level diff of a draft and the answer a human wrote instead, for the dataset export.
 *
 * Text is split into tokens: words (letters and digits, keeping inner `'’.,:/-` as in "4,000",
 * "don't", "24/7"), single punctuation marks, and runs of whitespace. A longest-common-subsequence
 * over the tokens gives equal, deleted and inserted runs. A whitespace-only equal run between two
 * changes is folded into them, so "a b c" → "a x y c" reads as one replacement.
 *
 * `formatWordDiff` renders it like `git diff --word-diff=plain`: unchanged text as it is, removed
 * text as `[-…-]`, added text as `{+…+}`, a removal before the addition that replaces it:
 *
 *     Adults: [-up to 4 g-]{+at most 4,000 mg+} in 24 hours.
 *
 * Concatenating the `equal` and `delete` ops gives the draft back, `equal` and `insert` the edit.
 */

export type DiffOp = { op: "equal" | "delete" | "insert"; text: string };

const TOKEN = /[\p{L}\p{N}_]+(?:['’.,:/-][\p{L}\p{N}_]+)*|\s+|[^\s\p{L}\p{N}_]/gu;

/** Above this many cells (tokens × tokens) the middle is shown as one replacement. */
const MAX_CELLS = 4_000_000;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

const isSpace = (text: string): boolean => /^\s+$/.test(text);

/** The word-level diff from `before` to `after`. */
export function wordDiff(before: string, after: string): DiffOp[] {
  const a = tokenize(before);
  const b = tokenize(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const raw: DiffOp[] = a.slice(0, start).map((text) => ({ op: "equal", text }));
  raw.push(...middle(a.slice(start, endA), b.slice(start, endB)));
  raw.push(...a.slice(endA).map((text): DiffOp => ({ op: "equal", text })));
  return tidy(raw);
}

/** LCS over the tokens that differ; deletions come before insertions. */
function middle(a: string[], b: string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || (n + 1) * (m + 1) > MAX_CELLS) {
    return [
      ...a.map((text): DiffOp => ({ op: "delete", text })),
      ...b.map((text): DiffOp => ({ op: "insert", text })),
    ];
  }
  const width = m + 1;
  // lcs[i * width + j]: length of the LCS of a[i..] and b[j..].
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const ops: DiffOp[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ op: "equal", text: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      ops.push({ op: "delete", text: a[i++]! });
    } else {
      ops.push({ op: "insert", text: b[j++]! });
    }
  }
  while (i < n) ops.push({ op: "delete", text: a[i++]! });
  while (j < m) ops.push({ op: "insert", text: b[j++]! });
  return ops;
}

type Block = { equal: string } | { del: string; ins: string };

/** Merges runs, folds whitespace between changes into them, and emits delete before insert. */
function tidy(tokens: DiffOp[]): DiffOp[] {
  const blocks: Block[] = [];
  for (const { op, text } of tokens) {
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

/** `git diff --word-diff=plain` style: `[-removed-]{+added+}`, unchanged text as it is. */
export function formatWordDiff(ops: DiffOp[]): string {
  return ops
    .map(({ op, text }) =>
      op === "equal" ? text : op === "delete" ? `[-${text}-]` : `{+${text}+}`,
    )
    .join("");
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

/** The formatted diff from `before` to `after`, or null when they are the same text. */
export function editDiff(before: string, after: string): string | null {
  if (before === after) return null;
  return formatWordDiff(wordDiff(before, after));
}
