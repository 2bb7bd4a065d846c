import { terms } from "../text/terms.js";
import { routes, type Route } from "./dataset.js";
import type { CaseRecord, Thresholds } from "./runner-record.js";

/**
 * The eval metrics: pure functions over the per-question records the runner writes.
 *
 * - Answer quality (offline): SQuAD-style token F1 between the draft and the reference answer,
 *   over stemmed content terms (src/text/terms.ts: lower-cased, stop words dropped, light suffix
 *   stripping; citation markers like "[1]" removed). Terms are counted with repeats: the overlap
 *   is the multiset intersection, precision = overlap / draft terms, recall = overlap / reference
 *   terms, F1 their harmonic mean. A draft is "correct" when F1 ≥ QUALITY_CUT.
 * - Answer quality (model provider configured): the judge grades the draft with the reference as
 *   its only evidence; "correct" when that score ≥ QUALITY_CUT. Token F1 is still reported.
 * - Escalation precision / recall: "should escalate" is the human label (expected_route ≠ auto);
 *   "did escalate" is the graph's route ≠ auto (a review at either gate, or a refusal).
 * - Judge–human agreement: Cohen's kappa between the judge's pass (score ≥ the judge threshold
 *   and no flags) and the human verdict (the draft is correct against the reference), over the
 *   cases with a reference answer and a judged draft.
 * - Auto-answer rate: share of cases answered without any review. Leak rate: share of cases
 *   answered without review whose human verdict says they should not have been (they should
 *   escalate, or the answer is wrong).
 * - Latency per node: milliseconds from the start of a graph call (or the previous node's update)
 *   to the node's update in LangGraph's "updates" stream: the node's own work plus the step's
 *   checkpoint write. Percentiles are nearest-rank.
 */

/** Token F1 at or over this cut counts as a correct answer. */
export const QUALITY_CUT = 0.5;

export interface TokenF1 {
  precision: number;
  recall: number;
  f1: number;
}

const CITATION_MARKER = /\[\d+\]/g;

/** Negation flips an answer's meaning, so the metric keeps these words the term list drops. */
const NEGATORS = new Set([
  "no",
  "not",
  "nor",
  "never",
  "without",
  "cannot",
  "don't",
  "doesn't",
  "isn't",
  "aren't",
]);

function answerTerms(text: string): string[] {
  const clean = text.replace(CITATION_MARKER, " ");
  const negations = (clean.toLowerCase().match(/[a-z']+/g) ?? [])
    .filter((w) => NEGATORS.has(w) || w.endsWith("n't"))
    .map(() => "not");
  return [...terms(clean), ...negations];
}

/**
 * The offline verdict: F1 at or over the cut, and the same polarity (both say no, or neither):
 * "do not take it with alcohol" against "take it with alcohol" shares almost every word.
 */
export function lexicallyCorrect(
  candidate: string,
  reference: string,
  cut: number = QUALITY_CUT,
): boolean {
  const negated = (text: string) => answerTerms(text).includes("not");
  return tokenF1(candidate, reference).f1 >= cut && negated(candidate) === negated(reference);
}

/**
 * SQuAD-style token F1 of `candidate` against `reference` on stemmed content terms, with every
 * negation ("no", "not", "never", "without", "…n't") kept as a "not" term.
 */
export function tokenF1(candidate: string, reference: string): TokenF1 {
  const got = answerTerms(candidate);
  const want = answerTerms(reference);
  if (got.length === 0 || want.length === 0) {
    const same = got.length === want.length ? 1 : 0;
    return { precision: same, recall: same, f1: same };
  }
  const counts = new Map<string, number>();
  for (const t of want) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of got) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      overlap++;
      counts.set(t, left - 1);
    }
  }
  if (overlap === 0) return { precision: 0, recall: 0, f1: 0 };
  const precision = overlap / got.length;
  const recall = overlap / want.length;
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}

/** A 2×2 agreement table between two raters (here: the judge and the human verdict). */
export interface AgreementTable {
  /** Both say pass. */
  both_pass: number;
  /** The judge passes what the human fails. */
  judge_only: number;
  /** The human passes what the judge fails. */
  human_only: number;
  both_fail: number;
}

export interface Kappa {
  n: number;
  /** Observed agreement p_o. */
  observed: number | null;
  /** Agreement expected by chance p_e from the two raters' marginals. */
  expected: number | null;
  /** (p_o − p_e) / (1 − p_e); null when undefined (no cases, or both raters use one class only). */
  kappa: number | null;
}

export function cohenKappa(t: AgreementTable): Kappa {
  const n = t.both_pass + t.judge_only + t.human_only + t.both_fail;
  if (n === 0) return { n, observed: null, expected: null, kappa: null };
  const observed = (t.both_pass + t.both_fail) / n;
  const judgePass = (t.both_pass + t.judge_only) / n;
  const humanPass = (t.both_pass + t.human_only) / n;
  const expected = judgePass * humanPass + (1 - judgePass) * (1 - humanPass);
  const kappa = expected === 1 ? null : (observed - expected) / (1 - expected);
  return { n, observed, expected, kappa };
}

export interface Classification {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp); null when nothing was predicted positive. */
  precision: number | null;
  /** tp / (tp + fn); null when nothing is actually positive. */
  recall: number | null;
}

/** Precision and recall of `predicted` against `actual`, pair by pair. */
export function precisionRecall(pairs: { actual: boolean; predicted: boolean }[]): Classification {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const { actual, predicted } of pairs) {
    if (actual && predicted) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    else tn++;
  }
  return {
    tp,
    fp,
    fn,
    tn,
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: tp + fn === 0 ? null : tp / (tp + fn),
  };
}

/** Nearest-rank percentile (p in (0, 100]) of `values`; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export interface LatencyStats {
  count: number;
  p50: number | null;
  p95: number | null;
  mean: number | null;
  max: number | null;
}

export function latencyStats(values: number[]): LatencyStats {
  return {
    count: values.length,
    p50: roundMs(percentile(values, 50)),
    p95: roundMs(percentile(values, 95)),
    mean: values.length ? roundMs(values.reduce((a, b) => a + b, 0) / values.length) : null,
    max: values.length ? roundMs(Math.max(...values)) : null,
  };
}

function roundMs(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}

/** Rows: the human's expected route (or "unlabelled"); columns: the graph's route. */
export interface ConfusionMatrix {
  rows: (Route | "unlabelled")[];
  columns: Route[];
  counts: number[][];
}

export function routeConfusion(records: Pick<CaseRecord, "human" | "route">[]): ConfusionMatrix {
  const rows: (Route | "unlabelled")[] = [...routes];
  if (records.some((r) => r.human.expected_route === null)) rows.push("unlabelled");
  const counts = rows.map(() => routes.map(() => 0));
  for (const r of records) {
    const row = rows.indexOf(r.human.expected_route ?? "unlabelled");
    counts[row]![routes.indexOf(r.route)]!++;
  }
  return { rows, columns: [...routes], counts };
}

/** Whether the judge passed the final draft at `judgeThreshold` (the answer gate without risk). */
export function judgePasses(
  record: Pick<CaseRecord, "judge">,
  judgeThreshold: number,
): boolean | null {
  if (!record.judge) return null;
  return record.judge.score >= judgeThreshold && record.judge.flags.length === 0;
}

export interface EvalSummary {
  dataset: string;
  started_at: string;
  provider: string;
  /** The thresholds the graph ran at. */
  thresholds: Thresholds;
  settings: { top_k: number; revision_limit: number; audit_sample_rate: number };
  cases: number;
  /** Cases where the graph threw; left out of every metric below. */
  errors: number;
  answer_quality: {
    method: "token_f1" | "judge";
    cut: number;
    /** Cases with a reference answer and a draft. */
    cases: number;
    correct: number;
    correct_share: number | null;
    mean_f1: number | null;
    /** Mean judge-against-reference score ("judge" method only). */
    mean_judge_score: number | null;
    /** The same over the cases the graph answered unreviewed. */
    auto: { cases: number; correct: number; correct_share: number | null };
  };
  escalation: Classification;
  judge_agreement: AgreementTable & Kappa;
  route_accuracy: number | null;
  route_confusion: ConfusionMatrix;
  /** Share of cases answered without review (route auto). */
  auto_answer_rate: number | null;
  /** Share of cases sent to a reviewer at either gate. */
  review_share: number | null;
  refusal_share: number | null;
  /** Share of cases answered without review that the human verdict says should not have been. */
  leak_rate: number | null;
  leaked: string[];
  latency_ms: Record<string, LatencyStats>;
  /** Machine time per question, all nodes together. */
  total_latency_ms: LatencyStats;
}

export interface SummaryInput {
  dataset: string;
  startedAt: string;
  provider: string;
  thresholds: Thresholds;
  settings: EvalSummary["settings"];
  qualityMethod: "token_f1" | "judge";
  qualityCut: number;
}

/** Node order for reports: the graph's order, then anything else alphabetically. */
export const NODE_ORDER = [
  "guard",
  "retrieve",
  "review_retrieval",
  "generate",
  "judge",
  "review_answer",
  "respond",
];

/** The metrics over the records of the questions that ran (failures are the runner's to count). */
export function summarize(records: CaseRecord[], input: SummaryInput): EvalSummary {
  const n = records.length;
  const share = (k: number, of: number = n): number | null => (of === 0 ? null : k / of);
  const mean = (xs: number[]): number | null =>
    xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;

  const graded = records.filter((r) => r.quality !== null);
  const correct = graded.filter((r) => r.quality!.correct).length;
  const gradedAuto = graded.filter((r) => r.route === "auto");
  const correctAuto = gradedAuto.filter((r) => r.quality!.correct).length;
  const judgeScores = graded.flatMap((r) =>
    r.quality!.judge_score === null ? [] : [r.quality!.judge_score],
  );

  const table: AgreementTable = { both_pass: 0, judge_only: 0, human_only: 0, both_fail: 0 };
  for (const r of records) {
    const judgePass = judgePasses(r, input.thresholds.judge);
    if (judgePass === null || r.correct === null) continue;
    if (judgePass && r.correct) table.both_pass++;
    else if (judgePass) table.judge_only++;
    else if (r.correct) table.human_only++;
    else table.both_fail++;
  }

  const labelled = records.filter((r) => r.human.expected_route !== null);
  const auto = records.filter((r) => r.route === "auto");
  const leaked = auto.filter((r) => !r.acceptable_unreviewed);

  const byNode = new Map<string, number[]>();
  for (const r of records) {
    for (const [node, ms] of Object.entries(r.latency_ms)) {
      byNode.set(node, [...(byNode.get(node) ?? []), ms]);
    }
  }
  const nodes = [...byNode.keys()].sort((a, b) => nodeRank(a) - nodeRank(b) || a.localeCompare(b));

  return {
    dataset: input.dataset,
    started_at: input.startedAt,
    provider: input.provider,
    thresholds: input.thresholds,
    settings: input.settings,
    cases: n,
    errors: 0,
    answer_quality: {
      method: input.qualityMethod,
      cut: input.qualityCut,
      cases: graded.length,
      correct,
      correct_share: share(correct, graded.length),
      mean_f1: mean(graded.map((r) => r.quality!.f1)),
      mean_judge_score: mean(judgeScores),
      auto: {
        cases: gradedAuto.length,
        correct: correctAuto,
        correct_share: share(correctAuto, gradedAuto.length),
      },
    },
    escalation: precisionRecall(
      records.map((r) => ({ actual: r.human.should_escalate, predicted: r.route !== "auto" })),
    ),
    judge_agreement: { ...table, ...cohenKappa(table) },
    route_accuracy: share(
      labelled.filter((r) => r.route === r.human.expected_route).length,
      labelled.length,
    ),
    route_confusion: routeConfusion(records),
    auto_answer_rate: share(auto.length),
    review_share: share(
      records.filter((r) => r.route === "retrieval_review" || r.route === "answer_review").length,
    ),
    refusal_share: share(records.filter((r) => r.route === "refusal").length),
    leak_rate: share(leaked.length),
    leaked: leaked.map((r) => r.id),
    latency_ms: Object.fromEntries(nodes.map((node) => [node, latencyStats(byNode.get(node)!)])),
    total_latency_ms: latencyStats(records.map((r) => r.total_ms)),
  };
}

function nodeRank(node: string): number {
  const i = NODE_ORDER.indexOf(node);
  return i === -1 ? NODE_ORDER.length : i;
}
