import { answerGate, retrievalGate } from "../graph/gates.js";
import type { RiskTier } from "../graph/policy.js";
import type { JudgeFlag } from "../providers/types.js";
import { isReviewRoute, type Route } from "./dataset.js";
import {
  clopperPearsonUpper,
  minTrialsForZeroFailures,
  trialsNeededAtRate,
} from "./clopper-pearson.js";
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
// Certification: thresholds with a guarantee (Learn then Test)

/**
 * Per risk tier, the thresholds whose wrong-automatic-answer rate (automatic answers whose human
 * verdict says they should not reach users unreviewed, over automatic answers) has a one-sided
 * Clopper–Pearson upper bound at `confidence` at or under `target`.
 *
 * Each candidate pair is a hypothesis test of "this pair's rate is over the target", rejected
 * (the pair certified) when the bound is at or under it. The candidates are walked in a fixed
 * order, strictest first (larger T_r + T_j, then larger T_j), and the walk stops at the first
 * pair whose bound exceeds the target. This is fixed-sequence testing: a wrong certification
 * needs the first pair in the order whose true rate is over the target to pass its own test,
 * which happens with probability at most 1 − confidence, so the guarantee holds for every
 * certified pair at once (family-wise) without any multiplicity correction, however many pairs
 * the grid holds. Among the certified pairs the one with the smallest review share is chosen
 * (ties: the lower bound, then the stricter pair).
 *
 * A pair with fewer automatic answers than the target can be certified with (no wrong one at
 * all; `minTrialsForZeroFailures`) is left out of the walk instead of stopping it: no labels
 * could certify it. Which pairs are left out depends on how many cases pass the gates (the
 * recorded scores), never on the human labels, so the tested order is still fixed before the
 * labels are looked at.
 */
export interface CertificationOptions {
  /** Highest acceptable wrong-automatic-answer rate, e.g. 0.02. */
  target: number;
  /** Confidence of the upper bound, e.g. 0.95. */
  confidence: number;
  /** Grid step for both thresholds (default 0.01). */
  step?: number;
  /** The thresholds in use, reported for comparison. */
  current: Thresholds;
}

/** One threshold pair on one tier's cases. */
export interface CertifiedPoint {
  thresholds: Thresholds;
  /** Cases of the tier. */
  cases: number;
  /** Automatic answers (n) and, of them, the wrong ones (k). */
  automatic: number;
  wrong: number;
  /** The Clopper–Pearson upper bound on the wrong-automatic-answer rate (1 with no automatic answer). */
  bound: number;
  reviewed: number;
  review_share: number;
}

export interface LabelsNeeded {
  /**
   * The pair the estimate is for: where the walk stopped; when no pair had enough automatic
   * answers to be tested, the one with the lowest observed rate (then the most automatic answers).
   */
  basis: CertifiedPoint;
  /** Automatic answers needed to certify the target with none wrong. */
  automatic_if_none_wrong: number;
  /** Automatic answers needed if they keep being wrong at the basis's rate; null if no number suffices. */
  automatic_at_observed_rate: number | null;
  /** More labelled cases of the tier for those, at the basis's automatic share. */
  more_cases_if_none_wrong: number;
  more_cases_at_observed_rate: number | null;
}

export interface TierCertification {
  tier: RiskTier | "unknown";
  cases: number;
  /** False when no pair on the grid answers any case of the tier automatically. */
  automatic: boolean;
  /** Pairs tested in the walk (the one that stopped it included). */
  tested: number;
  /** The chosen certified pair; null when none is certified. */
  certified: CertifiedPoint | null;
  /** The first pair whose bound exceeded the target; null when the walk ran through. */
  stopped_at: CertifiedPoint | null;
  current: CertifiedPoint;
  /** When automatic answers are possible but nothing is certified: what more labels would take. */
  needed: LabelsNeeded | null;
}

export interface Certification {
  target: number;
  confidence: number;
  step: number;
  cases: number;
  /** Automatic answers a pair needs before it can be certified at all (none of them wrong). */
  min_automatic: number;
  tiers: TierCertification[];
  /**
   * The pair to run with: the certified pair of the one tier that can be answered automatically
   * (the gates use one pair for every tier and only let low-risk answers through); null when that
   * tier has no certified pair, or when several tiers could be answered automatically.
   */
  recommended: Thresholds | null;
}

/** Clopper–Pearson bounds at one confidence, memoized by (k, n): the grid repeats them a lot. */
function boundCache(confidence: number): (k: number, n: number) => number {
  const cache = new Map<string, number>();
  return (k, n) => {
    const key = `${k}/${n}`;
    let b = cache.get(key);
    if (b === undefined) cache.set(key, (b = clopperPearsonUpper(k, n, confidence)));
    return b;
  };
}

function certifiedPoint(
  cases: CalibrationCase[],
  t: Thresholds,
  bound: (k: number, n: number) => number,
): CertifiedPoint {
  const p = operatingPoint(cases, t);
  return {
    thresholds: t,
    cases: p.cases,
    automatic: p.auto,
    wrong: p.leaked,
    bound: bound(p.leaked, p.auto),
    reviewed: p.reviewed,
    review_share: p.review_share,
  };
}

function labelsNeeded(basis: CertifiedPoint, target: number, confidence: number): LabelsNeeded {
  const noneWrong = minTrialsForZeroFailures(target, confidence);
  const atRate = trialsNeededAtRate(basis.wrong / basis.automatic, target, confidence);
  // Labelled cases of the tier for that many automatic answers, at the basis's automatic share.
  const more = (automatic: number) =>
    Math.max(0, Math.ceil((automatic * basis.cases) / basis.automatic) - basis.cases);
  return {
    basis,
    automatic_if_none_wrong: noneWrong,
    automatic_at_observed_rate: atRate,
    more_cases_if_none_wrong: more(noneWrong),
    more_cases_at_observed_rate: atRate === null ? null : more(atRate),
  };
}

function certifyTier(
  tier: RiskTier | "unknown",
  cases: CalibrationCase[],
  order: Thresholds[],
  options: CertificationOptions,
  minAutomatic: number,
): TierCertification {
  const { target, confidence } = options;
  const bound = boundCache(confidence);
  const certified: CertifiedPoint[] = [];
  let stoppedAt: CertifiedPoint | null = null;
  let best: CertifiedPoint | null = null; // lowest observed rate, then most automatic answers
  let tested = 0;
  let automatic = false;
  for (const t of order) {
    const p = certifiedPoint(cases, t, bound);
    if (p.automatic > 0) {
      automatic = true;
      const rate = p.wrong / p.automatic;
      const bestRate = best ? best.wrong / best.automatic : Infinity;
      if (!best || rate < bestRate || (rate === bestRate && p.automatic > best.automatic)) best = p;
    }
    if (stoppedAt) continue; // past the stop, only the estimate's basis is still looked for
    if (p.automatic < minAutomatic) continue; // cannot be certified by any labels: not tested
    tested++;
    if (p.bound > target) stoppedAt = p;
    else certified.push(p);
  }
  const chosen = certified.reduce<CertifiedPoint | null>(
    (best, p) =>
      !best || p.reviewed < best.reviewed || (p.reviewed === best.reviewed && p.bound < best.bound)
        ? p
        : best,
    null,
  );
  const basis = stoppedAt ?? best;
  return {
    tier,
    cases: cases.length,
    automatic,
    tested,
    certified: chosen,
    stopped_at: stoppedAt,
    current: certifiedPoint(cases, options.current, bound),
    needed: !chosen && automatic && basis ? labelsNeeded(basis, target, confidence) : null,
  };
}

const tierOrder: (RiskTier | "unknown")[] = ["low", "medium", "high", "blocked", "unknown"];

export function certify(cases: CalibrationCase[], options: CertificationOptions): Certification {
  const step = options.step ?? 0.01;
  if (!(options.confidence > 0 && options.confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${options.confidence}`);
  }
  const grid = thresholdGrid(step);
  // The fixed testing order, strictest first; it depends on the grid only, never on the data.
  const order: Thresholds[] = [];
  for (const retrieval of grid) for (const judge of grid) order.push({ retrieval, judge });
  order.sort((a, b) => b.retrieval + b.judge - (a.retrieval + a.judge) || b.judge - a.judge);
  const minAutomatic = minTrialsForZeroFailures(options.target, options.confidence);
  const byTier = new Map<RiskTier | "unknown", CalibrationCase[]>();
  for (const c of cases) {
    const tier = c.risk_tier ?? "unknown";
    byTier.set(tier, [...(byTier.get(tier) ?? []), c]);
  }
  const tiers = tierOrder
    .filter((tier) => byTier.has(tier))
    .map((tier) => certifyTier(tier, byTier.get(tier)!, order, options, minAutomatic));
  const automaticTiers = tiers.filter((t) => t.automatic);
  const only = automaticTiers.length === 1 ? automaticTiers[0]! : null;
  return {
    target: options.target,
    confidence: options.confidence,
    step,
    cases: cases.length,
    min_automatic: minAutomatic,
    tiers,
    recommended: only?.certified?.thresholds ?? null,
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

const tierWords: Record<RiskTier | "unknown", string> = {
  low: "low-risk",
  medium: "medium-risk",
  high: "high-risk",
  blocked: "blocked",
  unknown: "unknown-risk",
};

const count = (n: number) => (Number.isFinite(n) ? String(n) : "no number of");

/** Per tier: the certified thresholds, their bound, the sample behind it and the review share. */
export function formatCertification(cert: Certification): string {
  const pair = (t: Thresholds) => `retrieval ${fixed(t.retrieval)}, judge ${fixed(t.judge)}`;
  const sample = (p: CertifiedPoint) =>
    `bound ${pct(p.bound)} on ${p.automatic} automatic answers, ${p.wrong} wrong; ` +
    `review share ${pct(p.review_share)} (${p.reviewed}/${p.cases})`;
  const out = [
    `Certification over ${cert.cases} labelled cases: wrong automatic answers at or under ` +
      `${pct(cert.target)} with ${pct(cert.confidence)} confidence (one-sided Clopper–Pearson ` +
      `upper bound; pairs on a ${cert.step} grid tested strictest first, stopping at the first ` +
      `that fails). A pair needs at least ${count(cert.min_automatic)} automatic answers, none ` +
      `wrong, to be certified at all.`,
  ];
  for (const t of cert.tiers) {
    out.push("", `${tierWords[t.tier]} (${t.cases} cases)`);
    if (!t.automatic) {
      out.push(
        `  never answered automatically at any thresholds (the gates review or refuse every one): ` +
          `nothing to certify; review share ${pct(t.current.review_share)}`,
      );
      continue;
    }
    if (t.certified) {
      out.push(`  certified  ${pair(t.certified.thresholds)}: ${sample(t.certified)}`);
    } else {
      out.push(`  NOT certified at ${pct(cert.target)}`);
    }
    if (t.stopped_at) {
      out.push(`  stopped at ${pair(t.stopped_at.thresholds)}: ${sample(t.stopped_at)}`);
    }
    out.push(`  current    ${pair(t.current.thresholds)}: ${sample(t.current)}`);
    const need = t.needed;
    if (need) {
      const b = need.basis;
      const why =
        b.automatic < cert.min_automatic
          ? `no pair gives the ${count(cert.min_automatic)} automatic answers a test needs; the ` +
            `lowest observed rate is ${pair(b.thresholds)}: ${b.wrong} of ${b.automatic} wrong`
          : `at ${pair(b.thresholds)}, ${b.wrong} of ${b.automatic} automatic answers are wrong`;
      out.push(
        `  ${why}. With none wrong it would take ${count(need.automatic_if_none_wrong)} automatic ` +
          `answers: about ${count(need.more_cases_if_none_wrong)} more labelled ${tierWords[t.tier]} cases.`,
      );
      const rate = pct(b.wrong / b.automatic);
      out.push(
        need.automatic_at_observed_rate === null
          ? `  At the observed rate (${rate}) no sample size certifies ${pct(cert.target)}: ` +
              `the gates must let fewer wrong answers through first.`
          : `  At the observed rate (${rate}) it would take about ${need.automatic_at_observed_rate} ` +
              `automatic answers: about ${need.more_cases_at_observed_rate} more labelled cases.`,
      );
    }
  }
  out.push(
    "",
    cert.recommended
      ? `recommended  ${pair(cert.recommended)}`
      : "no recommendation: no certified pair for the tier answered automatically",
  );
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
