import type { Queryable } from "../db/database.js";
import type {
  ExampleLabel,
  ExampleSplit,
  ExportedExample,
  SignalSource,
} from "./export-example.js";
import { DEFAULT_TEST_SHARE } from "./export-questions.js";
import { exampleOf, type Candidate } from "./export-signal.js";
import { threadPage } from "./export-threads.js";

/**
 * The eval dataset export: human signal on finished threads (review decisions and post-inference
 * feedback) as examples in the LangSmith shape `{inputs, outputs, metadata}`, one JSON object per
 * line. Used by `npm run evals:export` and `GET /datasets/export`.
 *
 * One example per completed thread with human signal, chosen by the first rule that applies:
 * 1. a user's `correction` (the latest one): positive, the correction is the reference;
 * 2. a reviewer's last decision was `reject`: negative, the rejected draft in `metadata.rejected_answer`;
 * 3. the latest user rating is 1 or 2 (no correction): negative, the answer the user saw is rejected;
 * 4. provenance `edited`, `human` or `approved`: positive, the final answer is the reference;
 * 5. the latest user rating is 4 or 5: positive, the answer the user endorsed is the reference.
 * Ratings without a correction on a fallback reply say nothing about an answer and are skipped,
 * as are decisions by the system (an SLA timeout's reject) and threads that are not completed.
 *
 * Duplicates (the same question after `normalizeQuestion`) keep the strongest signal:
 * edited = human > approved > user correction > user approval > negative; the newest on ties.
 * The split is a function of the normalized question only (`splitOf`), so an example never moves
 * between train and test across exports, and duplicates cannot leak across the split.
 *
 * The parts: the example's shape (./export-example.ts), the query (./export-threads.ts), the
 * rules above (./export-signal.ts), the question key and split (./export-questions.ts).
 */

export interface ExportOptions {
  /** Only threads with human signal recorded at or after this time. */
  since?: Date;
  /** Share of questions in the test split, 0…1 (default 0.2). */
  testShare?: number;
  /** Only this split. */
  split?: ExampleSplit;
  /** Threads read per query (default 500). */
  batchSize?: number;
  onProgress?: (progress: { threads: number }) => void;
}

export interface ExportStats {
  /** Completed threads with any feedback that were read. */
  threads: number;
  /** Of those, threads with nothing to export (only system decisions, neutral ratings, …). */
  without_signal: number;
  duplicates_removed: number;
  /** Examples left out by the `split` option. */
  other_split: number;
  examples: number;
  by_label: Record<ExampleLabel, number>;
  by_split: Record<ExampleSplit, number>;
  by_source: Record<SignalSource, number>;
}

export interface ExportResult {
  examples: ExportedExample[];
  stats: ExportStats;
}

/** Whether `a` beats `b` for the same question: stronger signal, then the newer signal. */
function beats(a: Candidate, b: Candidate): boolean {
  if (a.strength !== b.strength) return a.strength > b.strength;
  if (a.signalAt !== b.signalAt) return a.signalAt > b.signalAt;
  return a.threadId > b.threadId;
}

function emptyStats(): ExportStats {
  return {
    threads: 0,
    without_signal: 0,
    duplicates_removed: 0,
    other_split: 0,
    examples: 0,
    by_label: { positive: 0, negative: 0 },
    by_split: { train: 0, test: 0 },
    by_source: { review: 0, user: 0, both: 0 },
  };
}

/**
 * Reads every completed thread with feedback (in pages, with one query per page), turns each into
 * at most one example, removes duplicate questions and returns the examples in the order the
 * threads were created. Everything is held in memory: deduplication needs the whole set.
 */
export async function exportExamples(
  db: Queryable,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const testShare = options.testShare ?? DEFAULT_TEST_SHARE;
  if (!(testShare >= 0 && testShare <= 1))
    throw new RangeError("testShare must be between 0 and 1");
  const batchSize = options.batchSize ?? 500;
  const stats = emptyStats();
  const best = new Map<string, Candidate>();
  const dropped = new Map<string, string[]>();
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const page = await threadPage(db, options.since ?? null, after, batchSize);
    if (page.length === 0) break;
    for (const row of page) {
      stats.threads++;
      const candidate = exampleOf(row, testShare);
      if (!candidate) {
        stats.without_signal++;
        continue;
      }
      const current = best.get(candidate.key);
      if (current) stats.duplicates_removed++;
      const [winner, loser] =
        !current || beats(candidate, current) ? [candidate, current] : [current, candidate];
      best.set(candidate.key, winner);
      if (loser)
        dropped.set(candidate.key, [...(dropped.get(candidate.key) ?? []), loser.threadId]);
    }
    options.onProgress?.({ threads: stats.threads });
    if (page.length < batchSize) break;
    const last = page.at(-1)!;
    after = { at: last.cursor_at, id: last.thread_id };
  }
  const examples: ExportedExample[] = [];
  const ordered = [...best.values()].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.threadId < b.threadId ? -1 : 1),
  );
  for (const candidate of ordered) {
    const { metadata } = candidate.example;
    metadata.duplicate_thread_ids = (dropped.get(candidate.key) ?? []).sort();
    if (options.split && metadata.split !== options.split) {
      stats.other_split++;
      continue;
    }
    stats.examples++;
    stats.by_label[metadata.label]++;
    stats.by_split[metadata.split]++;
    stats.by_source[metadata.source]++;
    examples.push(candidate.example);
  }
  return { examples, stats };
}

/** One JSONL line (with its newline). */
export function toJsonl(example: ExportedExample): string {
  return `${JSON.stringify(example)}\n`;
}

/** A one-line summary for people: counts by label, split and source. */
export function describeStats(stats: ExportStats): string {
  const parts = [
    `${stats.examples} examples (${stats.by_label.positive} positive, ${stats.by_label.negative} negative)`,
    `split ${stats.by_split.train} train / ${stats.by_split.test} test`,
    `source ${stats.by_source.review} review, ${stats.by_source.user} user, ${stats.by_source.both} both`,
    `from ${stats.threads} threads with feedback (${stats.without_signal} without usable signal, ${stats.duplicates_removed} duplicates removed${stats.other_split ? `, ${stats.other_split} in the other split` : ""})`,
  ];
  return parts.join("; ");
}
