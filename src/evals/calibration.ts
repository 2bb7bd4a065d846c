import { answerGate, retrievalGate } from "../graph/gates.js";
import type { RiskTier } from "../graph/policy.js";
import type { JudgeFlag } from "../providers/types.js";
import { isReviewRoute, type Route } from "./dataset.js";
import type { Thresholds } from "./runner-record.js";

/**
 * Threshold calibration from labelled cases, without running the graph again.
 *
 * The runner records, per question, the retrieval score, the judge's score and flags on the
 * final draft, the risk tier and whether it was an audit sample; none of these depends on the
 * thresholds (the runner approves every review, so the judge also scores drafts a gate would
 * have held). The route at any thresholds (T_r, T_j) follows the graph's gates (src/graph/gates.ts):
 *   refusal          risk tier blocked
 *   retrieval_review retrieval score < T_r
 *   auto             judge score ≥ T_j, no judge flags, risk tier low, not an audit sample
 *   answer_review    otherwise
 *
 * For each (T_r, T_j) on a grid (step 0.01 by default):
 *   review share = cases routed to a reviewer (either gate) / cases
 *   leak share   = cases routed auto whose human verdict says they should not reach users
 *                  unreviewed (expected route ≠ auto, or the answer is wrong) / cases
 * A case sent to evidence review counts as reviewed: the reviewer sees the question and the
 * passages and can stop it there, although an approved draft may then pass the answer gate.
 * The recommendation is the pair with the lowest review share whose leak share ≤ the target;
 * ties go to the lower leak share, then to higher thresholds (larger T_r + T_j, then larger T_j):
 * of two pairs with the same outcome on the labelled cases, the stricter one leaves more margin.
 */

/** The recorded facts calibration needs about one case (a CaseRecord has them all). */
export interface CalibrationCase {
  id: string;
  retrieval_score: number | null;
  judge: { score: number; flags: JudgeFlag[] } | null;
  risk_tier: RiskTier | null;
  audit_sample: boolean;
  /** The human verdict: fine to answer without review (see CaseRecord). */
  acceptable_unreviewed: boolean;
}

/** The route a recorded case takes at `t`, by the graph's gates. */
export function predictRoute(c: CalibrationCase, t: Thresholds): Route {
  if (c.risk_tier === "blocked") return "refusal";
  if (!retrievalGate({ score: c.retrieval_score }, { retrievalThreshold: t.retrieval }).pass) {
    return "retrieval_review";
  }
  const answer = answerGate(
    { riskTier: c.risk_tier, policyMatches: [], judgment: c.judge, auditSample: c.audit_sample },
    { judgeThreshold: t.judge },
  );
  return answer.pass ? "auto" : "answer_review";
}

export interface OperatingPoint {
  thresholds: Thresholds;
  cases: number;
  reviewed: number;
  auto: number;
  leaked: number;
  review_share: number;
  auto_share: number;
  leak_share: number;
  /** Ids of the leaked cases. */
  leaked_ids: string[];
}

export function operatingPoint(cases: CalibrationCase[], t: Thresholds): OperatingPoint {
  let reviewed = 0;
  let auto = 0;
  const leakedIds: string[] = [];
  for (const c of cases) {
    const route = predictRoute(c, t);
    if (isReviewRoute(route)) reviewed++;
    if (route === "auto") {
      auto++;
      if (!c.acceptable_unreviewed) leakedIds.push(c.id);
    }
  }
  const n = cases.length;
  const share = (k: number) => (n === 0 ? 0 : k / n);
  return {
    thresholds: t,
    cases: n,
    reviewed,
    auto,
    leaked: leakedIds.length,
    review_share: share(reviewed),
    auto_share: share(auto),
    leak_share: share(leakedIds.length),
    leaked_ids: leakedIds,
  };
}

/** 0, step, 2·step … 1, rounded to the step's decimals (so 0.35 is 0.35, not 0.35000000000000003). */
export function thresholdGrid(step: number): number[] {
  if (!(step > 0 && step <= 1)) throw new RangeError(`step must be in (0, 1], got ${step}`);
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const values: number[] = [];
  for (let i = 0; i * step < 1 + 1e-9; i++) values.push(Number((i * step).toFixed(decimals)));
  if (values.at(-1) !== 1) values.push(1);
  return values;
}

export interface CalibrationOptions {
  /** Highest acceptable leak share, e.g. 0.05. */
  target: number;
  /** Grid step for both thresholds (default 0.01). */
  step?: number;
  /** The thresholds in use, reported for comparison. */
  current: Thresholds;
}

export interface Calibration {
  target: number;
  step: number;
  cases: number;
  current: OperatingPoint;
  /** The cheapest pair meeting the target; null when no pair on the grid does. */
  recommended: OperatingPoint | null;
  /** The pair with the lowest leak share (what to fall back on when the target is out of reach). */
  safest: OperatingPoint;
  /** The trade-off curve: pairs no other pair beats on both review share and leak share. */
  frontier: OperatingPoint[];
}

/** Orders pairs by review share, then leak share, then stricter thresholds first. */
function compare(a: OperatingPoint, b: OperatingPoint): number {
  return (
    a.reviewed - b.reviewed ||
    a.leaked - b.leaked ||
    b.thresholds.retrieval + b.thresholds.judge - (a.thresholds.retrieval + a.thresholds.judge) ||
    b.thresholds.judge - a.thresholds.judge
  );
}

export function calibrate(cases: CalibrationCase[], options: CalibrationOptions): Calibration {
  const step = options.step ?? 0.01;
  const grid = thresholdGrid(step);
  const points: OperatingPoint[] = [];
  for (const retrieval of grid) {
    for (const judge of grid) points.push(operatingPoint(cases, { retrieval, judge }));
  }
  points.sort(compare);
  const frontier: OperatingPoint[] = [];
  for (const p of points) {
    const best = frontier.at(-1);
    if (!best || p.leaked < best.leaked) frontier.push(p);
  }
  // Compare counts, not shares, so a target of exactly k/n is met by k leaks.
  const allowed = options.target * cases.length + 1e-9;
  const recommended = points.find((p) => p.leaked <= allowed) ?? null;
  const safest = [...points].sort((a, b) => a.leaked - b.leaked || compare(a, b))[0]!;
  return {
    target: options.target,
    step,
    cases: cases.length,
    current: operatingPoint(cases, options.current),
    recommended,
    safest,
    frontier,
  };
}

// ------------------------------------------------------------------------------------------
// Printing

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const fixed = (n: number) => n.toFixed(2);

/** The trade-off curve and the recommendation as a plain-text table. */
export function formatCalibration(cal: Calibration): string {
  const same = (a: Thresholds, b: Thresholds) => a.retrieval === b.retrieval && a.judge === b.judge;
  const rows = cal.frontier.map((p) => {
    const marks = [
      cal.recommended && same(p.thresholds, cal.recommended.thresholds) ? "← recommended" : "",
      same(p.thresholds, cal.current.thresholds) ? "← current" : "",
    ].filter(Boolean);
    return [
      fixed(p.thresholds.retrieval),
      fixed(p.thresholds.judge),
      `${pct(p.review_share)} (${p.reviewed})`,
      `${pct(p.leak_share)} (${p.leaked})`,
      `${pct(p.auto_share)} (${p.auto})`,
      marks.join(" "),
    ];
  });
  const header = ["T_r", "T_j", "review share", "leak share", "auto share", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const describe = (p: OperatingPoint) =>
    `retrieval ${fixed(p.thresholds.retrieval)}, judge ${fixed(p.thresholds.judge)}: ` +
    `review ${pct(p.review_share)} (${p.reviewed}/${p.cases}), leak ${pct(p.leak_share)} (${p.leaked}/${p.cases})` +
    (p.leaked_ids.length ? ` [${p.leaked_ids.join(", ")}]` : "");
  const out = [
    `Trade-off curve over ${cal.cases} labelled cases (grid step ${cal.step}; each row: the cheapest thresholds for that leak share):`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `current      ${describe(cal.current)}`,
  ];
  if (cal.recommended) {
    out.push(`recommended  ${describe(cal.recommended)}  (leak target ${pct(cal.target)})`);
  } else {
    out.push(
      `no thresholds keep the leak share at or under ${pct(cal.target)}; the lowest reachable is`,
      `safest       ${describe(cal.safest)}`,
    );
  }
  return out.join("\n");
}

// ------------------------------------------------------------------------------------------
// Env files

/** RETRIEVAL_THRESHOLD and JUDGE_THRESHOLD from an env file's text (KEY=value lines). */
export function readThresholdsEnv(text: string): Partial<Thresholds> {
  const found: Partial<Thresholds> = {};
  for (const raw of text.split("\n")) {
    const m =
      /^\s*(?:export\s+)?(RETRIEVAL_THRESHOLD|JUDGE_THRESHOLD)\s*=\s*["']?([^"'#\s]*)["']?/.exec(
        raw,
      );
    if (!m) continue;
    const value = Number(m[2]);
    if (m[2] === "" || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new RangeError(`${m[1]}=${m[2]} is not a number in [0, 1]`);
    }
    if (m[1] === "RETRIEVAL_THRESHOLD") found.retrieval = value;
    else found.judge = value;
  }
  return found;
}

/** The env file's text with both thresholds set: lines replaced in place, else appended. */
export function writeThresholdsEnv(text: string, t: Thresholds): string {
  const values: Record<string, number> = {
    RETRIEVAL_THRESHOLD: t.retrieval,
    JUDGE_THRESHOLD: t.judge,
  };
  const written = new Set<string>();
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const out = lines.map((line) => {
    const m = /^\s*(?:export\s+)?(RETRIEVAL_THRESHOLD|JUDGE_THRESHOLD)\s*=/.exec(line);
    if (!m) return line;
    written.add(m[1]!);
    return `${m[1]}=${values[m[1]!]}`;
  });
  const missing = Object.keys(values).filter((k) => !written.has(k));
  if (missing.length > 0) {
    out.push("# Recommended by `npm run evals:calibrate`");
    for (const key of missing) out.push(`${key}=${values[key]}`);
  }
  return `${out.join("\n")}\n`;
}
