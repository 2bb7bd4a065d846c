import type { EvalSummary } from "./metrics.js";
import type { LatencyStats } from "./metrics-statistics.js";

/** The eval summary as text, and the number formats the report shares. */

export const pct = (share: number | null) =>
  share === null ? "n/a" : `${(share * 100).toFixed(1)}%`;
export const dec = (n: number | null, digits = 2) => (n === null ? "n/a" : n.toFixed(digits));

/** The metrics as printed by `npm run evals`. */
export function formatSummary(s: EvalSummary): string {
  const q = s.answer_quality;
  const e = s.escalation;
  const k = s.judge_agreement;
  const method =
    q.method === "judge"
      ? `judge score vs reference ≥ ${q.cut}`
      : `token F1 vs reference ≥ ${q.cut}`;
  const nodes = Object.entries(s.latency_ms)
    .map(([node, l]) => `    ${node.padEnd(18)} ${latency(l)}`)
    .join("\n");
  const c = s.route_confusion;
  const width = Math.max(...c.columns.map((x) => x.length), 5);
  const confusion = [
    `    ${"expected \\ graph".padEnd(18)} ${c.columns.map((x) => x.padStart(width)).join(" ")}`,
    ...c.rows.map(
      (row, i) =>
        `    ${row.padEnd(18)} ${c.counts[i]!.map((n) => String(n).padStart(width)).join(" ")}`,
    ),
  ].join("\n");
  const n = s.cases - s.errors;
  const count = (share: number | null) => (share === null ? 0 : Math.round(share * n));
  return [
    `signoff evals: ${s.cases} cases from ${s.dataset} (${s.provider} providers)${s.errors ? `, ${s.errors} failed` : ""}`,
    `  thresholds: retrieval ${s.thresholds.retrieval}, judge ${s.thresholds.judge} (top-k ${s.settings.top_k}, audit sample rate ${s.settings.audit_sample_rate})`,
    `  answer quality (${method}): ${q.correct}/${q.cases} correct (${pct(q.correct_share)}), mean F1 ${dec(q.mean_f1)}` +
      (q.mean_judge_score !== null ? `, mean judge score ${dec(q.mean_judge_score)}` : "") +
      `; answered unreviewed: ${q.auto.correct}/${q.auto.cases} correct (${pct(q.auto.correct_share)})`,
    `  escalation vs human labels: precision ${dec(e.precision)}, recall ${dec(e.recall)} (tp ${e.tp}, fp ${e.fp}, fn ${e.fn}, tn ${e.tn})`,
    `  judge–human agreement: Cohen's kappa ${dec(k.kappa)} over ${k.n} cases (observed ${dec(k.observed)}, chance ${dec(k.expected)}; both pass ${k.both_pass}, judge only ${k.judge_only}, human only ${k.human_only}, both fail ${k.both_fail})`,
    `  auto-answer rate ${pct(s.auto_answer_rate)} (${count(s.auto_answer_rate)}/${n}), review share ${pct(s.review_share)} (${count(s.review_share)}), refusals ${pct(s.refusal_share)} (${count(s.refusal_share)})`,
    `  leak rate ${pct(s.leak_rate)} (${s.leaked.length}/${n} answered unreviewed but should not have been)${s.leaked.length ? `: ${s.leaked.join(", ")}` : ""}`,
    `  route accuracy ${pct(s.route_accuracy)}; route confusion (rows: expected, columns: graph):`,
    confusion,
    `  latency per node, ms (p50 / p95 / max, n):`,
    nodes,
    `    ${"whole question".padEnd(18)} ${latency(s.total_latency_ms)}`,
  ].join("\n");
}

function latency(l: LatencyStats): string {
  return `${dec(l.p50, 1)} / ${dec(l.p95, 1)} / ${dec(l.max, 1)}  (n=${l.count})`;
}
