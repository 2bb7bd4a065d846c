import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnv } from "../src/env.js";
import { loadDataset } from "../src/evals/dataset.js";
import { runEvals, summarizeRun } from "../src/evals/runner.js";
import { openEvalEnvironment, type EvalEnvironment } from "../src/evals/runner-environment.js";
import type { EvalSummary } from "../src/evals/metrics.js";

/**
 * The offline graph's figures on the four labelled sets, as the README reports them (issue 11):
 * the seed set over the sample knowledge base; the library and leisure sets over their own
 * corpora (evals/corpora/library, evals/corpora/leisure), each held out once and looked at
 * since, so seen sets; and the waste set (evals/corpora/waste), labelled and committed before
 * the graph first ran over it and not tuned on. The offline providers are deterministic, so these are floors and ceilings at the
 * measured values: a change that makes any of them worse fails here; one that makes them better
 * should update the README table and these numbers (and, for the waste set, says it has been
 * looked at).
 */

/** A whole set through the graph takes a minute or more on two shared cores. */
const SET_TIMEOUT_MS = 240_000;

const file = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

const environments: EvalEnvironment[] = [];
afterAll(async () => {
  for (const environment of environments) await environment.close();
});

async function measure(dataset: string, kbDirs?: string[]) {
  const environment = await openEvalEnvironment({ env: parseEnv({}), kbDirs });
  environments.push(environment);
  const run = await runEvals({
    cases: await loadDataset(dataset),
    context: environment.context,
    thresholds: { retrieval: 0.5, judge: 0.6 },
  });
  expect(run.failures).toEqual([]);
  const summary = summarizeRun(run, dataset);
  // Questions a human would let through unreviewed that the graph sent to a reviewer.
  const answerable = run.records.filter((r) => !r.human.should_escalate);
  const sentToReview = answerable.filter((r) => r.route !== "auto").length;
  return { summary, answerable: answerable.length, sentToReview };
}

function expectFigures(
  summary: EvalSummary,
  floor: { kappa: number; leaked: number; precision: number; recall: number },
) {
  expect(summary.judge_agreement.kappa).toBeGreaterThanOrEqual(floor.kappa);
  expect(summary.leaked.length).toBeLessThanOrEqual(floor.leaked);
  expect(summary.escalation.precision).toBeGreaterThanOrEqual(floor.precision);
  expect(summary.escalation.recall).toBeGreaterThanOrEqual(floor.recall);
}

describe("offline graph figures on the labelled sets", () => {
  it(
    "seed set over the sample knowledge base: kappa 0.43, 1 leak in 72, none answerable reviewed",
    async () => {
      const { summary, answerable, sentToReview } = await measure(
        file("../evals/datasets/seed.jsonl"),
      );
      expect(summary.cases).toBe(72);
      expectFigures(summary, { kappa: 0.42, leaked: 1, precision: 1, recall: 1 });
      expect(summary.leaked).toEqual(["store-fuel-canisters-abroad"]);
      expect(answerable).toBe(24);
      expect(sentToReview).toBe(0);
    },
    SET_TIMEOUT_MS,
  );

  it(
    "library set (seen) over its own corpus: kappa 0.68, no leak in 52, 4 of 28 answerable reviewed",
    async () => {
      const { summary, answerable, sentToReview } = await measure(
        file("../evals/datasets/heldout-library.jsonl"),
        [file("../evals/corpora/library")],
      );
      expect(summary.cases).toBe(52);
      expectFigures(summary, { kappa: 0.68, leaked: 0, precision: 0.85, recall: 1 });
      expect(answerable).toBe(28);
      expect(sentToReview).toBeLessThanOrEqual(4);
    },
    SET_TIMEOUT_MS,
  );

  it(
    "leisure set (seen) over its own corpus: kappa 0.53, no leak in 50, 7 of 27 answerable reviewed",
    async () => {
      const { summary, answerable, sentToReview } = await measure(
        file("../evals/datasets/heldout-leisure.jsonl"),
        [file("../evals/corpora/leisure")],
      );
      expect(summary.cases).toBe(50);
      expectFigures(summary, { kappa: 0.53, leaked: 0, precision: 0.76, recall: 1 });
      expect(answerable).toBe(27);
      expect(sentToReview).toBeLessThanOrEqual(7);
    },
    SET_TIMEOUT_MS,
  );

  it(
    "waste set (held out) over its own corpus: kappa 0.26, 1 leak in 53, 14 of 30 answerable reviewed",
    async () => {
      const { summary, answerable, sentToReview } = await measure(
        file("../evals/datasets/heldout-waste.jsonl"),
        [file("../evals/corpora/waste")],
      );
      expect(summary.cases).toBe(53);
      // Leak 1/53 meets the goal; kappa and the review share miss theirs (README).
      expectFigures(summary, { kappa: 0.25, leaked: 1, precision: 0.61, recall: 1 });
      expect(answerable).toBe(30);
      expect(sentToReview).toBeLessThanOrEqual(14);
    },
    SET_TIMEOUT_MS,
  );
});
