/** The statistics behind the eval metrics: agreement, precision and recall, percentiles. */

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
