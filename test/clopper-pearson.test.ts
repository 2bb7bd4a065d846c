import { describe, expect, it } from "vitest";
import {
  betaQuantile,
  clopperPearsonUpper,
  lnGamma,
  minTrialsForZeroFailures,
  regularizedIncompleteBeta,
  trialsNeededAtRate,
} from "../src/evals/clopper-pearson.js";
import { seededRandom } from "./support/seeded-random.js";

describe("Clopper–Pearson", () => {
  it("the special functions match closed forms", () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(regularizedIncompleteBeta(0.5, 2, 3)).toBeCloseTo(11 / 16, 12);
    // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a
    expect(regularizedIncompleteBeta(0.3, 1, 7)).toBeCloseTo(1 - 0.7 ** 7, 12);
    expect(regularizedIncompleteBeta(0.3, 4, 1)).toBeCloseTo(0.3 ** 4, 12);
    expect(regularizedIncompleteBeta(0.2, 3, 5) + regularizedIncompleteBeta(0.8, 5, 3)).toBeCloseTo(
      1,
      12,
    );
    expect(regularizedIncompleteBeta(betaQuantile(0.9, 3, 40), 3, 40)).toBeCloseTo(0.9, 10);
  });

  it("matches known bounds", () => {
    expect(clopperPearsonUpper(0, 10, 0.95)).toBeCloseTo(0.2589, 4);
    expect(clopperPearsonUpper(2, 100, 0.95)).toBeCloseTo(0.0616, 4);
    expect(clopperPearsonUpper(1, 10, 0.95)).toBeCloseTo(0.3942, 4);
    // the two-sided 95% interval's upper end (R: binom.test(5, 20)) is the one-sided 97.5% bound
    expect(clopperPearsonUpper(5, 20, 0.975)).toBeCloseTo(0.491, 4);
    // large n, few failures: the Poisson limit, 7.7537 / n for k = 3 at 95%
    expect(clopperPearsonUpper(3, 1_000_000, 0.95) * 1_000_000).toBeCloseTo(7.7537, 2);
    expect(clopperPearsonUpper(7, 7, 0.95)).toBe(1);
    expect(clopperPearsonUpper(0, 0, 0.95)).toBe(1);
  });

  it("for k = 0 it is exactly 1 − α^(1/n), also through the beta quantile", () => {
    for (const n of [1, 2, 5, 10, 50, 149, 1000]) {
      for (const c of [0.8, 0.9, 0.95, 0.99]) {
        const exact = 1 - (1 - c) ** (1 / n);
        expect(clopperPearsonUpper(0, n, c)).toBeCloseTo(exact, 12);
        expect(betaQuantile(c, 1, n)).toBeCloseTo(exact, 10);
      }
    }
  });

  it("grows with k, shrinks with n, and is above k/n", () => {
    let previous = 0;
    for (let k = 0; k < 20; k++) {
      const b = clopperPearsonUpper(k, 20, 0.95);
      expect(b).toBeGreaterThan(previous);
      expect(b).toBeGreaterThan(k / 20);
      previous = b;
    }
    expect(clopperPearsonUpper(2, 200, 0.95)).toBeLessThan(clopperPearsonUpper(2, 100, 0.95));
    expect(clopperPearsonUpper(2, 100, 0.99)).toBeGreaterThan(clopperPearsonUpper(2, 100, 0.95));
  });

  it("says how many trials a target takes", () => {
    // ln 0.05 / ln 0.98 = 148.3
    expect(minTrialsForZeroFailures(0.02, 0.95)).toBe(149);
    expect(clopperPearsonUpper(0, 149, 0.95)).toBeLessThanOrEqual(0.02);
    expect(clopperPearsonUpper(0, 148, 0.95)).toBeGreaterThan(0.02);
    expect(minTrialsForZeroFailures(0.2589, 0.95)).toBe(10); // n = 10 gives 0.25887
    expect(minTrialsForZeroFailures(0, 0.95)).toBe(Number.POSITIVE_INFINITY);
    const n = trialsNeededAtRate(0.01, 0.02, 0.95)!;
    expect(n).toBeGreaterThan(149);
    expect(clopperPearsonUpper(Math.round(0.01 * n), n, 0.95)).toBeLessThanOrEqual(0.02);
    expect(trialsNeededAtRate(0.02, 0.02, 0.95)).toBeNull();
    expect(trialsNeededAtRate(0.0, 0.02, 0.95)).toBe(149);
  });

  it("covers the true rate in at least the stated share of simulated samples", () => {
    // 2,000 label sets per (n, p). At exactly 95% coverage the observed share has standard
    // deviation √(0.95 · 0.05 / 2000) ≈ 0.0049, so 0.95 − 0.015 (three deviations) would fail
    // by Monte Carlo noise about once in 700 seeds; the bound is conservative (the binomial is
    // discrete), so the observed share is typically well over 0.95 anyway.
    const random = seededRandom(11);
    for (const [n, p] of [
      [10, 0.1],
      [50, 0.05],
      [150, 0.02],
      [400, 0.3],
    ] as const) {
      let covered = 0;
      const sets = 2000;
      for (let s = 0; s < sets; s++) {
        let k = 0;
        for (let i = 0; i < n; i++) if (random() < p) k++;
        if (clopperPearsonUpper(k, n, 0.95) >= p) covered++;
      }
      expect(covered / sets).toBeGreaterThanOrEqual(0.95 - 0.015);
    }
  });
});
