import { readFile } from "node:fs/promises";
import { z } from "zod";
import { reviewStages, type ReviewStage } from "../graph/decision.js";

/**
 * Eval datasets, normalized to one case type. Two file shapes are accepted, as JSON Lines (one
 * object per line) or as one JSON array:
 *
 * - the seed format of evals/datasets/seed.jsonl: `{id, question, category, expected_route,
 *   offline_route, reference_answer, domain, notes}`;
 * - the LangSmith example shape written by `npm run evals:export` (src/evals/export.ts):
 *   `{inputs: {question}, outputs: {answer} | null, metadata: {label, expected_route?, …}}`.
 *   A positive example's `outputs.answer` is the human-approved reference (an approved, edited
 *   or reviewer-written answer, a user's correction, an approved audit sample); a negative one
 *   (a reviewer or user turned the answer down) has `outputs.answer` null and `metadata.label`
 *   "negative". The export's `metadata.route` is the route the old thread took, not a label, and
 *   is ignored; `metadata.expected_route`, when a curator adds it, is the human route label.
 */

/** The route of a question that paused first at the review of `stage`. */
export type ReviewRoute = `${ReviewStage}_review`;
/** Where a question went first: answered unreviewed, paused at a gate, or refused by policy. */
export type Route = "auto" | ReviewRoute | "refusal";

export function reviewRoute(stage: ReviewStage): ReviewRoute {
  return `${stage}_review`;
}

/** Every route, in the graph's order (the review stages' order in between). */
export const routes: readonly [Route, ...Route[]] = [
  "auto",
  ...reviewStages.map(reviewRoute),
  "refusal",
];

export function isReviewRoute(route: Route): route is ReviewRoute {
  return route !== "auto" && route !== "refusal";
}

/** The human labels of a case: what the evals compare the graph against. */
export interface HumanLabel {
  /** The route a careful human wants for this question; absent when the source does not say. */
  expected_route: Route | null;
  /**
   * Whether the question should reach a human (or be refused) instead of being answered
   * unreviewed: `expected_route` ≠ auto when it is known; for an exported example without one,
   * `metadata.label` is "negative" (a reviewer turned the answer down).
   */
  should_escalate: boolean;
  /** A human-approved answer to compare the draft with; null when there is none. */
  reference: string | null;
  /** The exported example's `metadata.label` ("negative", "positive", …), when there is one. */
  label: string | null;
}

export interface EvalCase {
  /** Unique within the dataset. */
  id: string;
  question: string;
  /** Caller metadata passed to the graph (exported examples keep theirs, minus the labels). */
  metadata: Record<string, unknown>;
  category: string | null;
  domain: string | null;
  source: "seed" | "langsmith";
  human: HumanLabel;
  notes: string | null;
}

const route = z.enum(routes);

const seedRow = z.object({
  id: z.string().min(1),
  question: z.string().trim().min(1),
  category: z.string().optional(),
  expected_route: route,
  offline_route: route.optional(),
  reference_answer: z.string().trim().min(1).nullable(),
  domain: z.string().optional(),
  notes: z.string().optional(),
});

const langsmithExample = z.object({
  id: z.string().min(1).optional(),
  inputs: z.looseObject({ question: z.string().trim().min(1) }),
  outputs: z.looseObject({ answer: z.string().nullable().optional() }).nullable().optional(),
  metadata: z
    .looseObject({
      label: z.string().min(1).optional(),
      expected_route: route.optional(),
    })
    .optional(),
});

/** Labels meaning a human turned the graph's answer down. */
export const NEGATIVE_LABELS: readonly string[] = ["negative"];

export class DatasetError extends Error {}

/** Parses a dataset file's text; `name` only appears in error messages. */
export function parseDataset(text: string, name = "dataset"): EvalCase[] {
  const trimmed = text.trim();
  let items: { value: unknown; where: string }[];
  if (trimmed.startsWith("[")) {
    let array: unknown;
    try {
      array = JSON.parse(trimmed);
    } catch (error) {
      throw new DatasetError(`${name}: invalid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(array)) throw new DatasetError(`${name}: expected a JSON array`);
    items = array.map((value: unknown, i) => ({ value, where: `${name} item ${i + 1}` }));
  } else {
    items = text.split("\n").flatMap((line, i) => {
      if (line.trim() === "") return [];
      const where = `${name}:${i + 1}`;
      try {
        return [{ value: JSON.parse(line) as unknown, where }];
      } catch (error) {
        throw new DatasetError(`${where}: invalid JSON: ${(error as Error).message}`);
      }
    });
  }
  if (items.length === 0) throw new DatasetError(`${name}: no cases`);
  const cases = items.map(({ value, where }, index) => normalize(value, where, index));
  return uniqueIds(cases);
}

export async function loadDataset(file: string): Promise<EvalCase[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DatasetError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseDataset(text, file);
}

function normalize(value: unknown, where: string, index: number): EvalCase {
  const isExample = typeof value === "object" && value !== null && "inputs" in value;
  if (!isExample) {
    const parsed = seedRow.safeParse(value);
    if (!parsed.success) {
      throw new DatasetError(`${where}: not a seed row: ${z.prettifyError(parsed.error)}`);
    }
    const row = parsed.data;
    return {
      id: row.id,
      question: row.question,
      metadata: {},
      category: row.category ?? null,
      domain: row.domain ?? null,
      source: "seed",
      human: {
        expected_route: row.expected_route,
        should_escalate: row.expected_route !== "auto",
        reference: row.reference_answer,
        label: null,
      },
      notes: row.notes ?? null,
    };
  }
  const parsed = langsmithExample.safeParse(value);
  if (!parsed.success) {
    throw new DatasetError(`${where}: not a LangSmith example: ${z.prettifyError(parsed.error)}`);
  }
  const { id, inputs, outputs, metadata = {} } = parsed.data;
  const label = metadata.label ?? null;
  const expected = metadata.expected_route ?? null;
  const answer = outputs?.answer?.trim();
  if (label === null && expected === null && !answer) {
    throw new DatasetError(
      `${where}: the example has no human label (metadata.label, metadata.expected_route or outputs.answer)`,
    );
  }
  const caseId =
    id ?? firstString(metadata, ["id", "example_id", "thread_id"]) ?? `example-${index + 1}`;
  const threadMetadata = metadata.thread_metadata;
  return {
    id: caseId,
    question: inputs.question,
    // The caller's metadata of the exported thread; the export's own fields (its recorded route,
    // scores, decisions …) describe the old run, not this one, and stay out of the graph.
    metadata: isRecord(threadMetadata) ? threadMetadata : {},
    category: firstString(metadata, ["category", "signal"]) ?? null,
    domain: firstString(metadata, ["domain"]) ?? null,
    source: "langsmith",
    human: {
      expected_route: expected,
      should_escalate:
        expected !== null ? expected !== "auto" : label !== null && NEGATIVE_LABELS.includes(label),
      reference: answer ? answer : null,
      label,
    },
    notes: firstString(metadata, ["notes"]) ?? null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function firstString(obj: Record<string, unknown>, keys: string[]): string | undefined {
  for (const key of keys) {
    const v = obj[key];
    if (typeof v === "string" && v.length > 0) return v;
  }
  return undefined;
}

/** Later duplicates of an id get "#2", "#3" … so records and thread ids stay distinct. */
function uniqueIds(cases: EvalCase[]): EvalCase[] {
  const seen = new Map<string, number>();
  return cases.map((c) => {
    const n = (seen.get(c.id) ?? 0) + 1;
    seen.set(c.id, n);
    return n === 1 ? c : { ...c, id: `${c.id}#${n}` };
  });
}
