import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { GraphContext } from "../graph/configuration.js";
import type { EvalCase, Route } from "../evals/dataset.js";
import type { EvalSummary } from "../evals/metrics.js";
import { runEvals, summarizeRun, type EvalRun } from "../evals/runner.js";
import type { CaseRecord, Thresholds } from "../evals/runner-record.js";
import type { PromptSet } from "./template.js";

/**
 * A prompt version's dry run: the same sample of the eval set through the real graph twice (the
 * eval runner, src/evals/runner.ts: in memory, every review approved so each question ends with
 * a judged draft), once with the active templates and once with the proposal in its template's
 * place, and the eval metrics of both (src/evals/metrics.ts). Nothing is written to threads or
 * runs: no user ever sees a dry run's answers.
 */

/** The eval set a dry run samples unless PROMPT_DRY_RUN_DATASET names another. */
export const SEED_DATASET_FILE = fileURLToPath(
  new URL("../../evals/datasets/seed.jsonl", import.meta.url),
);

/**
 * A stable sample of `size` cases: the cases ordered by a hash of their id, so the same cases
 * are drawn for every proposal (before and after stay comparable across proposals) and the
 * sample mixes the file's categories instead of taking its first lines.
 */
export function sampleCases(cases: EvalCase[], size: number): EvalCase[] {
  const key = (c: EvalCase) => createHash("sha256").update(c.id).digest("hex");
  return [...cases]
    .map((c) => ({ c, k: key(c) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .slice(0, size)
    .map(({ c }) => c);
}

/** The metrics a dry run reports for each side: the eval summary's headline figures. */
export interface DryRunMetrics {
  cases: number;
  errors: number;
  auto_answer_rate: number | null;
  review_share: number | null;
  refusal_share: number | null;
  leak_rate: number | null;
  leaked: string[];
  route_accuracy: number | null;
  escalation_precision: number | null;
  escalation_recall: number | null;
  /** Drafts correct against the reference answer (token F1 ≥ the quality cut). */
  correct_share: number | null;
  mean_f1: number | null;
  judge_kappa: number | null;
}

/** A case whose outcome the proposal changed. */
export interface DryRunChange {
  id: string;
  question: string;
  before: CaseOutcome;
  after: CaseOutcome;
}

export interface CaseOutcome {
  route: Route | null;
  correct: boolean | null;
  judge_score: number | null;
  judge_flags: string[];
  draft: string | null;
  error?: string;
}

export interface DryRunResult {
  dataset: string;
  provider: string;
  thresholds: Thresholds;
  case_ids: string[];
  before: DryRunMetrics;
  after: DryRunMetrics;
  /** Cases whose route, verdict, judge flags or draft differ, in sample order. */
  changed: DryRunChange[];
}

export interface DryRunOptions {
  cases: EvalCase[];
  dataset: string;
  /** Providers, policy and settings of the deployment (its `prompts` are ignored). */
  context: GraphContext;
  thresholds?: Thresholds;
  before: PromptSet;
  after: PromptSet;
}

export async function dryRun(options: DryRunOptions): Promise<DryRunResult> {
  const run = (prompts: PromptSet) =>
    runEvals({
      cases: options.cases,
      context: { ...options.context, prompts },
      thresholds: options.thresholds,
    });
  const before = await run(options.before);
  const after = await run(options.after);
  const outcomes = (r: EvalRun) => {
    const byId = new Map<string, CaseOutcome>();
    for (const rec of r.records) byId.set(rec.id, outcomeOf(rec));
    for (const f of r.failures) byId.set(f.id, { ...NO_OUTCOME, error: f.error });
    return byId;
  };
  const was = outcomes(before);
  const is = outcomes(after);
  const changed = options.cases.flatMap((c) => {
    const a = was.get(c.id)!;
    const b = is.get(c.id)!;
    return JSON.stringify(a) === JSON.stringify(b)
      ? []
      : [{ id: c.id, question: c.question, before: a, after: b }];
  });
  return {
    dataset: options.dataset,
    provider: before.provider,
    thresholds: before.thresholds,
    case_ids: options.cases.map((c) => c.id),
    before: metricsOf(summarizeRun(before, options.dataset)),
    after: metricsOf(summarizeRun(after, options.dataset)),
    changed,
  };
}

const NO_OUTCOME: CaseOutcome = {
  route: null,
  correct: null,
  judge_score: null,
  judge_flags: [],
  draft: null,
};

function outcomeOf(r: CaseRecord): CaseOutcome {
  return {
    route: r.route,
    correct: r.correct,
    judge_score: r.judge?.score ?? null,
    judge_flags: r.judge?.flags ?? [],
    draft: r.draft,
  };
}

function metricsOf(s: EvalSummary): DryRunMetrics {
  return {
    cases: s.cases,
    errors: s.errors,
    auto_answer_rate: s.auto_answer_rate,
    review_share: s.review_share,
    refusal_share: s.refusal_share,
    leak_rate: s.leak_rate,
    leaked: s.leaked,
    route_accuracy: s.route_accuracy,
    escalation_precision: s.escalation.precision,
    escalation_recall: s.escalation.recall,
    correct_share: s.answer_quality.correct_share,
    mean_f1: s.answer_quality.mean_f1,
    judge_kappa: s.judge_agreement.kappa,
  };
}

const METRIC_LINES: [keyof DryRunMetrics, string][] = [
  ["auto_answer_rate", "answered unreviewed"],
  ["leak_rate", "leaks (unreviewed, should not be)"],
  ["review_share", "sent to review"],
  ["correct_share", "drafts correct vs reference"],
  ["mean_f1", "mean token F1"],
  ["route_accuracy", "route accuracy"],
  ["escalation_precision", "escalation precision"],
  ["escalation_recall", "escalation recall"],
  ["judge_kappa", "judge-human kappa"],
];

/** A dry run for people: each metric before → after, then the cases that changed. */
export function formatDryRun(result: DryRunResult): string {
  const show = (v: DryRunMetrics[keyof DryRunMetrics]) =>
    typeof v === "number" ? v.toFixed(3) : v === null ? "-" : String(v);
  const lines = [
    `dry run over ${result.case_ids.length} cases of ${result.dataset} (${result.provider}, thresholds retrieval ${result.thresholds.retrieval}, judge ${result.thresholds.judge})`,
    `${"metric".padEnd(36)}${"before".padStart(8)}${"after".padStart(8)}`,
    ...METRIC_LINES.map(([key, label]) => {
      const [a, b] = [result.before[key], result.after[key]];
      const mark = show(a) === show(b) ? "" : "  *";
      return `${label.padEnd(36)}${show(a).padStart(8)}${show(b).padStart(8)}${mark}`;
    }),
  ];
  const errors = result.after.errors + result.before.errors;
  if (errors) lines.push(`errors: ${result.before.errors} before, ${result.after.errors} after`);
  lines.push(`${result.changed.length} of ${result.case_ids.length} cases changed`);
  for (const c of result.changed) {
    const o = (x: CaseOutcome) =>
      x.error
        ? `error: ${x.error}`
        : `${x.route}, ${x.correct === null ? "unlabelled" : x.correct ? "correct" : "wrong"}` +
          (x.judge_flags.length ? ` [${x.judge_flags.join(", ")}]` : "");
    lines.push(`  ${c.id}: ${o(c.before)} → ${o(c.after)}`);
  }
  return lines.join("\n");
}
