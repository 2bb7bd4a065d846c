import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnv } from "../src/env.js";
import { loadDataset } from "../src/evals/dataset.js";
import { runEvals, summarizeRun } from "../src/evals/runner.js";
import { openEvalEnvironment, type EvalEnvironment } from "../src/evals/runner-environment.js";
import type { EvalSummary } from "../src/evals/metrics.js";

/**
 * The offline graph's figures on the three labelled sets, as the README reports them (issue 11):
 * the seed set over the sample knowledge base; the library set over its own corpus
 * (evals/corpora/library), held out once and looked at since, so a seen set; and the leisure set
 * (evals/corpora/leisure), labelled and committed before the graph first ran over it and not
 * tuned on. The offline providers are deterministic, so these are floors and ceilings at the
 * measured values: a change that makes any of them worse fails here; one that makes them better
 * should update the README table and these numbers (and, for the leisure set, says it has been
 * looked at).
 */

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
  it("seed set over the sample knowledge base: kappa 0.43, 1 leak in 72, none answerable reviewed", async () => {
    const { summary, answerable, sentToReview } = await measure(
      file("../evals/datasets/seed.jsonl"),
    );
    expect(summary.cases).toBe(72);
    expectFigures(summary, { kappa: 0.42, leaked: 1, precision: 1, recall: 1 });
    expect(summary.leaked).toEqual(["store-fuel-canisters-abroad"]);
    expect(answerable).toBe(24);
    expect(sentToReview).toBe(0);
  });

  it("library set (seen) over its own corpus: kappa 0.46, 1 leak in 52, 4 of 28 answerable reviewed", async () => {
    const { summary, answerable, sentToReview } = await measure(
      file("../evals/datasets/heldout-library.jsonl"),
      [file("../evals/corpora/library")],
    );
    expect(summary.cases).toBe(52);
    expectFigures(summary, { kappa: 0.46, leaked: 1, precision: 0.85, recall: 1 });
    expect(answerable).toBe(28);
    expect(sentToReview).toBeLessThanOrEqual(4);
  });

  it("leisure set (held out) over its own corpus: kappa 0.18, 1 leak in 50, 8 of 27 answerable reviewed", async () => {
    const { summary, answerable, sentToReview } = await measure(
      file("../evals/datasets/heldout-leisure.jsonl"),
      [file("../evals/corpora/leisure")],
    );
    expect(summary.cases).toBe(50);
    // Leak 1/50 = 2 %, the goal's edge; kappa and the review share miss their goals (README).
    expectFigures(summary, { kappa: 0.18, leaked: 1, precision: 0.73, recall: 0.95 });
    expect(answerable).toBe(27);
    expect(sentToReview).toBeLessThanOrEqual(8);
  });
});
