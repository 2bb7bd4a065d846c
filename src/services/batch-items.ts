import { z } from "zod";
import type { BatchItem } from "../repositories/batches.js";
import { boundedJsonObject, METADATA_LIMITS } from "../validation/bounded-json.js";
import { InvalidInputError } from "./errors.js";

/** One question of a batch: a JSON array element, or one NDJSON line. */
export const batchItemSchema = z
  .object({
    question: z.string().trim().min(1).max(4000),
    /** The item's key in its batch; its line (or position) number when absent. */
    id: z
      .union([z.string().trim().min(1).max(200), z.number().int().min(0)])
      .transform(String)
      .optional(),
    metadata: boundedJsonObject(METADATA_LIMITS).default({}),
  })
  .strict();

export type BatchItemInput = z.input<typeof batchItemSchema>;

/** A problem with one line: its 1-based number, the field, and what is wrong. */
export interface LineProblem {
  line: number;
  path: string;
  message: string;
}

/** Enough to fix a file without a response the size of the file. */
const MAX_PROBLEMS = 20;

function refuse(problems: LineProblem[], count: number): never {
  const more = count > problems.length ? ` (the first ${problems.length} shown)` : "";
  throw new InvalidInputError(
    "validation_failed",
    `${count} line${count === 1 ? "" : "s"} of the batch ${count === 1 ? "is" : "are"} not valid${more}`,
    problems,
  );
}

/**
 * Validates numbered items (line numbers of an NDJSON body, positions in a JSON array) and
 * gives each its key; every problem names its line. Keys must be unique in the request.
 */
function toItems(
  entries: { line: number; value: unknown; problem?: string }[],
  options: { maxItems: number; requireIds: boolean },
): BatchItem[] {
  if (entries.length === 0) {
    throw new InvalidInputError("validation_failed", "the batch has no questions");
  }
  if (entries.length > options.maxItems) {
    throw new InvalidInputError(
      "batch_too_large",
      `the request has ${entries.length} questions; at most ${options.maxItems} are allowed per request (send the rest to POST /batches/{batchId}/items)`,
    );
  }
  const problems: LineProblem[] = [];
  let count = 0;
  const note = (problem: LineProblem) => {
    count++;
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  const items: BatchItem[] = [];
  const seen = new Map<string, number>();
  for (const entry of entries) {
    if (entry.problem) {
      note({ line: entry.line, path: "(line)", message: entry.problem });
      continue;
    }
    const parsed = batchItemSchema.safeParse(entry.value);
    if (!parsed.success) {
      const [first] = parsed.error.issues;
      note({
        line: entry.line,
        path: first?.path.join(".") || "(line)",
        message: first?.message ?? "not valid",
      });
      continue;
    }
    if (options.requireIds && parsed.data.id === undefined) {
      note({
        line: entry.line,
        path: "id",
        message: "items added to an existing batch need an id (their line number in the file)",
      });
      continue;
    }
    const key = parsed.data.id ?? String(entry.line);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      note({ line: entry.line, path: "id", message: `the same id as line ${earlier}` });
      continue;
    }
    seen.set(key, entry.line);
    items.push({ key, question: parsed.data.question, metadata: parsed.data.metadata });
  }
  if (count > 0) refuse(problems, count);
  return items;
}

/** The items of a JSON array (positions numbered from 1). */
export function itemsOfList(
  list: readonly unknown[],
  options: { maxItems: number; requireIds?: boolean },
): BatchItem[] {
  return toItems(
    list.map((value, i) => ({ line: i + 1, value })),
    { maxItems: options.maxItems, requireIds: options.requireIds ?? false },
  );
}

/** The items of an NDJSON body: one JSON object per line; blank lines are skipped but counted. */
export function itemsOfNdjson(
  text: string,
  options: { maxItems: number; requireIds?: boolean },
): BatchItem[] {
  const entries: { line: number; value: unknown; problem?: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    try {
      entries.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch {
      entries.push({ line: i + 1, value: undefined, problem: "not valid JSON" });
    }
  }
  return toItems(entries, { maxItems: options.maxItems, requireIds: options.requireIds ?? false });
}
