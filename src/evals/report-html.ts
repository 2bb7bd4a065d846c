import type { OperatingPoint } from "./calibration.js";
import type { EvalReport } from "./report.js";
import { liveHtml } from "./report-live.js";
import { confusionMatrix, histogram, latencyBars, tradeoffCurve } from "./report-charts.js";
import { esc } from "./report-svg.js";
import { dec, pct } from "./report-text.js";
import type { CaseRecord } from "./runner-record.js";

/** report.html: one file with no scripts and no external resources, so it opens anywhere. */

const OK = "#2e8b57";
const NOT_OK = "#d0493d";

/** Why a case is in the failures table, most serious first; empty when it did fine. */
export function problemsOf(r: CaseRecord): string[] {
  const problems: string[] = [];
  if (r.route === "auto" && !r.acceptable_unreviewed)
    problems.push("leaked: answered unreviewed, should not have been");
  if (r.human.expected_route !== null && r.route !== r.human.expected_route) {
    problems.push(`routed ${r.route}, expected ${r.human.expected_route}`);
  }
  if (r.correct === false) {
    const score =
      r.quality?.method === "judge"
        ? `judge ${dec(r.quality.judge_score)}`
        : `F1 ${dec(r.quality?.f1 ?? null)}`;
    problems.push(`answer does not match the reference (${score})`);
  }
  return problems;
}

export function renderHtml(report: EvalReport, records: CaseRecord[]): string {
  const s = report;
  const cal = s.calibration;
  const ok = records.filter((r) => r.acceptable_unreviewed);
  const notOk = records.filter((r) => !r.acceptable_unreviewed);
  const groups = (pick: (r: CaseRecord) => number | null) => [
    {
      label: "human: fine unreviewed",
      color: OK,
      values: ok.flatMap((r) => numberOrNone(pick(r))),
    },
    {
      label: "human: needs a reviewer",
      color: NOT_OK,
      values: notOk.flatMap((r) => numberOrNone(pick(r))),
    },
  ];
  const judgeHist = histogram({
    groups: groups((r) => (r.risk_tier === "low" ? (r.judge?.score ?? null) : null)),
    xLabel: "judge score of the final draft (low-risk questions)",
    threshold: s.thresholds.judge,
    thresholdLabel: "T_j",
  });
  const retrievalHist = histogram({
    groups: groups((r) => r.retrieval_score),
    xLabel: "retrieval score (questions not refused)",
    threshold: s.thresholds.retrieval,
    thresholdLabel: "T_r",
  });
  const confusion = confusionMatrix(s.route_confusion);
  const describe = (p: Omit<OperatingPoint, "leaked_ids">) =>
    `T_r ${p.thresholds.retrieval.toFixed(2)}, T_j ${p.thresholds.judge.toFixed(2)}: review ${pct(p.review_share)}, leak ${pct(p.leak_share)}`;
  const marks = [
    { x: cal.current.review_share, y: cal.current.leak_share, label: "current", color: "#444" },
    ...(cal.recommended
      ? [
          {
            x: cal.recommended.review_share,
            y: cal.recommended.leak_share,
            label: "recommended",
            color: "#e67e22",
          },
        ]
      : []),
  ];
  const curve = tradeoffCurve({
    frontier: cal.frontier.map((p) => ({ x: p.review_share, y: p.leak_share, label: describe(p) })),
    marks,
    target: cal.target,
  });
  const latencyRows = Object.entries(s.latency_ms)
    .filter(([, l]) => l.p50 !== null && l.p95 !== null)
    .map(([node, l]) => ({ label: node, p50: l.p50!, p95: l.p95!, count: l.count }));
  const bars = latencyBars([
    ...latencyRows,
    ...(s.total_latency_ms.p50 !== null
      ? [
          {
            label: "whole question",
            p50: s.total_latency_ms.p50,
            p95: s.total_latency_ms.p95!,
            count: s.total_latency_ms.count,
          },
        ]
      : []),
  ]);

  const failing = records
    .map((r) => ({ r, problems: problemsOf(r) }))
    .filter((f) => f.problems.length > 0)
    .sort((a, b) => severity(a.problems) - severity(b.problems) || a.r.id.localeCompare(b.r.id));
  const failureRows = failing
    .map(
      ({ r, problems }) => `<tr>
  <td><code>${esc(r.id)}</code><div class="q">${esc(r.question)}</div></td>
  <td>${esc(r.human.expected_route ?? "—")}</td>
  <td>${esc(r.route)}</td>
  <td class="n">${r.retrieval_score === null ? "—" : r.retrieval_score.toFixed(2)}</td>
  <td class="n">${r.judge ? r.judge.score.toFixed(2) : "—"}${r.judge?.flags.length ? `<div class="flags">${esc(r.judge.flags.join(", "))}</div>` : ""}</td>
  <td>${esc(r.risk_tier ?? "—")}</td>
  <td class="n">${r.quality ? r.quality.f1.toFixed(2) : "—"}</td>
  <td><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul></td>
  <td class="txt">${r.draft ? esc(clip(r.draft)) : "—"}${r.human.reference ? `<div class="ref">reference: ${esc(clip(r.human.reference))}</div>` : ""}</td>
</tr>`,
    )
    .join("\n");
  const errorRows = s.failures
    .map(
      (f) =>
        `<tr><td><code>${esc(f.id)}</code></td><td>${esc(f.question)}</td><td>${esc(f.error)}</td></tr>`,
    )
    .join("\n");

  const q = s.answer_quality;
  const card = (label: string, value: string, note: string) =>
    `<div class="card"><div class="v">${esc(value)}</div><div class="l">${esc(label)}</div><div class="note">${esc(note)}</div></div>`;
  const cards = [
    card("auto-answer rate", pct(s.auto_answer_rate), "answered without any review"),
    card("review share", pct(s.review_share), "sent to a reviewer at either gate"),
    card(
      "leak rate",
      pct(s.leak_rate),
      `${s.leaked.length} answered unreviewed that should not have been`,
    ),
    card("escalation precision", dec(s.escalation.precision), "escalated that should be"),
    card("escalation recall", dec(s.escalation.recall), "should escalate that did"),
    card(
      "judge–human kappa",
      dec(s.judge_agreement.kappa),
      `Cohen's kappa over ${s.judge_agreement.n} cases`,
    ),
    card(
      "answers correct",
      pct(q.correct_share),
      `${q.correct}/${q.cases} (${q.method === "judge" ? "judge" : "token F1"} ≥ ${q.cut})`,
    ),
    card("route accuracy", pct(s.route_accuracy), "route = expected route"),
  ].join("");

  const recommendation = cal.recommended
    ? `Recommended: <b>RETRIEVAL_THRESHOLD=${cal.recommended.thresholds.retrieval}</b>, <b>JUDGE_THRESHOLD=${cal.recommended.thresholds.judge}</b> — ${esc(describe(cal.recommended))} (leak target ${pct(cal.target)}).`
    : `No thresholds keep the leak share at or under ${pct(cal.target)}; the lowest reachable is ${esc(describe(cal.safest))}.`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>signoff evals — ${esc(s.dataset)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; padding: 0 16px; }
  h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
  .meta { color: #555; font-size: 13px; }
  .cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin-top: 16px; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 12px; }
  .card .v { font-size: 24px; font-weight: 600; } .card .l { font-size: 13px; font-weight: 600; } .card .note { font-size: 11px; color: #666; }
  .row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
  figure { margin: 8px 0; } figcaption { font-size: 12px; color: #555; max-width: 520px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { border-bottom: 1px solid #e5e5e5; padding: 5px 6px; vertical-align: top; text-align: left; }
  th { background: #f6f6f6; } td.n { text-align: right; white-space: nowrap; }
  td ul { margin: 0; padding-left: 16px; } .q { color: #444; margin-top: 2px; max-width: 260px; }
  .txt { max-width: 380px; } .ref { color: #2e6b3c; margin-top: 4px; } .flags { color: #b03a2e; font-size: 11px; }
  code { font-size: 11px; } .defs { font-size: 13px; line-height: 1.5; } .defs dt { font-weight: 600; margin-top: 6px; }
</style>
</head>
<body>
<h1>signoff evals</h1>
<div class="meta">${esc(s.cases)} cases from <code>${esc(s.dataset)}</code> · ${esc(s.provider)} providers · thresholds retrieval <b>${s.thresholds.retrieval}</b>, judge <b>${s.thresholds.judge}</b> · top-k ${s.settings.top_k} · audit sample rate ${s.settings.audit_sample_rate} · ${esc(s.started_at)}${s.errors ? ` · <b>${s.errors} failed</b>` : ""}</div>
<div class="cards">${cards}</div>

<h2>Scores by human verdict</h2>
<div class="row">
<figure>${judgeHist}<figcaption>Judge score of the final draft for low-risk questions (others go to answer review whatever the score), split by the human verdict: <i>fine unreviewed</i> = expected route auto and the answer matches the reference. Drafts right of T_j with no judge flags are answered unreviewed.</figcaption></figure>
<figure>${retrievalHist}<figcaption>Retrieval score (best passage) for every question the guard did not refuse, split the same way. Scores left of T_r go to retrieval review.</figcaption></figure>
</div>

<h2>Routes</h2>
<div class="row">
<figure>${confusion}<figcaption>Rows: the route a careful human wants (expected_route); columns: the first gate the graph reached. Green: agreement; red: disagreement.</figcaption></figure>
</div>

<h2>Calibration: review load against leaks</h2>
<div class="row">
<figure>${curve}<figcaption>Each point: the thresholds (T_r, T_j) with the lowest review share for that leak share over these ${cal.cases} labelled cases (grid step ${cal.step}), computed from the recorded scores without re-running the graph. Leak share: answered unreviewed and wrong, over all cases.</figcaption></figure>
<div class="defs" style="max-width:560px"><p>${recommendation}</p>
<p>Current: ${esc(describe(cal.current))}.</p>
<p>Write the recommendation with <code>npm run evals:calibrate -- --write .env</code>; re-run the evals at it with <code>npm run evals -- --thresholds-from .env</code>.</p></div>
</div>

${liveHtml(s.live)}

<h2>Latency per node</h2>
<figure>${bars}<figcaption>Milliseconds from the start of a graph call (or the previous node's update) to each node's update in LangGraph's "updates" stream: the node's own work plus its checkpoint write (MemorySaver). Review nodes count machine time only; nobody waits for a reviewer. Nearest-rank percentiles.</figcaption></figure>

<h2>Failures (${failing.length})</h2>
<table>
<thead><tr><th>case</th><th>expected</th><th>route</th><th>retrieval</th><th>judge</th><th>risk</th><th>F1</th><th>problem</th><th>draft / reference</th></tr></thead>
<tbody>
${failureRows || `<tr><td colspan="9">none</td></tr>`}
</tbody>
</table>
${
  s.failures.length
    ? `<h2>Errors (${s.failures.length})</h2><table><thead><tr><th>case</th><th>question</th><th>error</th></tr></thead><tbody>${errorRows}</tbody></table>`
    : ""
}

<h2>Definitions</h2>
<dl class="defs">
<dt>Answer quality</dt><dd>${
    q.method === "judge"
      ? `The configured judge grades the draft with the reference answer as its only evidence; correct when its score ≥ ${q.cut}. Token F1 is shown as well.`
      : `SQuAD-style token F1 between the draft and the reference answer over stemmed content terms (stop words dropped, citation markers removed, repeats counted); correct when F1 ≥ ${q.cut}.`
  }</dd>
<dt>Escalation precision / recall</dt><dd>Should escalate: the human's expected route is not auto. Did escalate: the graph's route is not auto (a review at either gate, or a refusal).</dd>
<dt>Judge–human agreement</dt><dd>Cohen's kappa between the judge passing the final draft (score ≥ T_j and no flags) and the human verdict (the draft is correct against the reference), over cases with a reference answer and a judged draft.</dd>
<dt>Leak rate</dt><dd>Share of all cases answered unreviewed that the human verdict says should not reach users that way: expected route not auto, or the answer does not match the reference.</dd>
<dt>How the run works</dt><dd>The real graph runs on an in-memory checkpointer; at each review it records the gate and resumes with an approval, so every question ends with a judged draft. The route is the first gate reached.</dd>
</dl>
</body>
</html>
`;
}

function numberOrNone(n: number | null): number[] {
  return n === null ? [] : [n];
}

function severity(problems: string[]): number {
  const first = problems[0] ?? "";
  if (first.startsWith("leaked")) return 0;
  if (first.startsWith("routed")) return 1;
  return 2;
}

function clip(text: string, max = 320): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
