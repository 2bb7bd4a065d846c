import { answerGate, type AnswerFacts } from "../graph/gates.js";
import { isReviewRoute, routes, type Route } from "./dataset.js";
import {
  cohenKappa,
  latencyStats,
  precisionRecall,
  type AgreementTable,
  type Classification,
  type Kappa,
  type LatencyStats,
} from "./metrics-statistics.js";
import type { CaseRecord, Thresholds } from "./runner-record.js";

/**
 * The eval metrics: pure functions over the per-question records the runner writes.
 *
 * - Answer quality (offline, src/evals/metrics-token-f1.ts): SQuAD-style token F1 between the
 *   draft and the reference answer, over stemmed content terms (src/text/terms.ts: lower-cased,
 *   stop words dropped, light suffix stripping; citation markers like "[1]" removed). Terms are counted with repeats: the overlap
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
 *   checkpoint write. Percentiles are nearest-rank (src/evals/metrics-statistics.ts).
 */

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

/**
 * Whether the judge passed the final draft at `judgeThreshold`: the answer gate's verdict on the
 * judgment alone, as if the question were low-risk and not an audit sample.
 */
export function judgePasses(
  record: Pick<CaseRecord, "judge">,
  judgeThreshold: number,
): boolean | null {
  if (!record.judge) return null;
  const judgeOnly: AnswerFacts = {
    riskTier: "low",
    policyMatches: [],
    judgment: record.judge,
    auditSample: false,
  };
  return answerGate(judgeOnly, { judgeThreshold }).pass;
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
    review_share: share(records.filter((r) => isReviewRoute(r.route)).length),
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
