/**
 * Exact (Clopper–Pearson) one-sided upper confidence bounds for a binomial proportion.
 *
 * With k failures in n trials, the upper bound at confidence c is the c-quantile of
 * Beta(k + 1, n − k), and 1 when k = n: the largest p for which seeing k or fewer failures still
 * has probability at least 1 − c. For k = 0 it is exactly 1 − (1 − c)^(1/n).
 *
 * The regularized incomplete beta function is evaluated by its continued fraction (modified
 * Lentz, as in Numerical Recipes' betai/betacf), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
 * where the fraction converges fast; the quantile is found by bisection, which cannot fail to
 * converge since I_x is increasing in x.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits). */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < c.length; i++) sum += c[i]! / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction for I_x(a, b) (Numerical Recipes' betacf, modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const maxIterations = 100_000; // converges in O(√max(a, b)) steps where it is used
  const epsilon = 1e-15;
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < epsilon) return h;
  }
  throw new RangeError(`incomplete beta: no convergence for a=${a}, b=${b}, x=${x}`);
}

/** The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs x in [0, 1], got ${x}`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  // ln of x^a (1−x)^b / B(a, b), computed in logs so large a and b do not overflow.
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The p-quantile of Beta(a, b): the x with I_x(a, b) = p, by bisection. */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile needs p in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  let lo = 0;
  let hi = 1;
  // 200 halvings reach the resolution of doubles anywhere in (0, 1), tiny quantiles included.
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (regularizedIncompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  }
}

/** The one-sided Clopper–Pearson upper bound on the failure rate after k failures in n trials. */
export function clopperPearsonUpper(k: number, n: number, confidence: number): number {
  checkConfidence(confidence);
  if (!(Number.isInteger(n) && Number.isInteger(k) && n >= 0 && k >= 0 && k <= n)) {
    throw new RangeError(`need whole numbers 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  }
  if (k === n) return 1;
  if (k === 0) return -Math.expm1(Math.log1p(-confidence) / n); // 1 − (1 − c)^(1/n), exactly
  return betaQuantile(confidence, k + 1, n - k);
}

/**
 * The fewest trials that can certify `target` at `confidence`, reached only with no failure:
 * the smallest n with 1 − (1 − c)^(1/n) ≤ target. Infinity for a target of 0.
 */
export function minTrialsForZeroFailures(target: number, confidence: number): number {
  checkConfidence(confidence);
  if (target >= 1) return 0;
  if (!(target > 0)) return Number.POSITIVE_INFINITY;
  let n = Math.max(1, Math.ceil(Math.log1p(-confidence) / Math.log1p(-target)));
  // Guard the rounding of the closed form on both sides.
  while (n > 1 && clopperPearsonUpper(0, n - 1, confidence) <= target) n--;
  while (clopperPearsonUpper(0, n, confidence) > target) n++;
  return n;
}

/**
 * About how many trials certify `target` if failures keep coming at `rate`: the smallest n
 * (found by doubling, then bisection) whose bound with round(rate · n) failures is at or under
 * the target. Null when the rate is not under the target (no sample size suffices) or the answer
 * is over `limit`.
 */
export function trialsNeededAtRate(
  rate: number,
  target: number,
  confidence: number,
  limit = 10_000_000,
): number | null {
  checkConfidence(confidence);
  if (!(rate >= 0 && rate < target)) return null;
  const ok = (n: number) => clopperPearsonUpper(Math.round(rate * n), n, confidence) <= target;
  let hi = Math.max(1, minTrialsForZeroFailures(target, confidence));
  while (!ok(hi)) {
    if (hi >= limit) return null;
    hi = Math.min(limit, hi * 2);
  }
  let lo = Math.floor(hi / 2); // the bound need not be monotone in n with rounded k: an estimate
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** A two-sided interval on a failure rate: the estimate k/n and its bounds. */
export interface RateInterval {
  /** k / n; null with no trials. */
  rate: number | null;
  lower: number;
  upper: number;
}

/**
 * The exact (Clopper–Pearson) two-sided interval at `confidence` after k failures in n trials:
 * the α/2 quantile of Beta(k, n − k + 1) and the 1 − α/2 quantile of Beta(k + 1, n − k), with
 * α = 1 − confidence; 0 and 1 at the ends (k = 0, k = n). With no trials it is [0, 1].
 */
export function clopperPearsonInterval(k: number, n: number, confidence: number): RateInterval {
  checkConfidence(confidence);
  if (!(Number.isInteger(n) && Number.isInteger(k) && n >= 0 && k >= 0 && k <= n)) {
    throw new RangeError(`need whole numbers 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  }
  if (n === 0) return { rate: null, lower: 0, upper: 1 };
  const tail = (1 - confidence) / 2;
  return {
    rate: k / n,
    lower: k === 0 ? 0 : betaQuantile(tail, k, n - k + 1),
    upper: k === n ? 1 : betaQuantile(1 - tail, k + 1, n - k),
  };
}
