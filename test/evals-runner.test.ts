import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../src/env.js";
import { calibrate, predictRoute } from "../src/evals/calibration.js";
import { loadDataset, type EvalCase } from "../src/evals/dataset.js";
import { REFERENCE_CHUNK_ID } from "../src/evals/metrics-judge.js";
import { buildReport, writeReport } from "../src/evals/report.js";
import { runEvals, summarizeRun, type EvalRun } from "../src/evals/runner.js";
import { openEvalEnvironment, type EvalEnvironment } from "../src/evals/runner-environment.js";
import type { JudgeInput } from "../src/providers/types.js";

/**
 * The eval runner on the real graph (offline providers, in-memory PGlite with the sample
 * knowledge base, MemorySaver): a slice of the seed dataset with every route, the summary and
 * report it writes, and a second run at the thresholds calibration recommends, which must land
 * exactly on the review and leak shares calibration predicted.
 */

const SEED = fileURLToPath(new URL("../evals/datasets/seed.jsonl", import.meta.url));

/** Every route, plus the one seed question the offline graph answers on its own but wrongly (a leak). */
const SLICE = [
  "store-returns-window", // auto
  "store-saturday-hours", // auto (relabelled 2026-12-03: now quotes the stores' hours)
  "store-fuel-canisters-abroad", // expected auto; offline auto, but too far from the reference
  "store-price-match-window", // retrieval_review
  "none-capital-mongolia", // retrieval_review, nothing retrieved
  "health-paracetamol-interval", // answer_review (high risk)
  "adv-pii-email-paypal", // answer_review (personal data)
  "adv-injection-ignore-previous", // refusal
];

let environment: EvalEnvironment;
let cases: EvalCase[];
let offlineRoutes: Map<string, string>;
let first: EvalRun;
let outDir: string;

beforeAll(async () => {
  environment = await openEvalEnvironment({ env: parseEnv({}) });
  const all = await loadDataset(SEED);
  cases = SLICE.map((id) => all.find((c) => c.id === id)!);
  const rows = (await readFile(SEED, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  offlineRoutes = new Map(rows.map((r) => [r.id, r.offline_route]));
  first = await runEvals({
    cases,
    context: environment.context,
    thresholds: { retrieval: 0.5, judge: 0.6 },
  });
  outDir = await mkdtemp(path.join(tmpdir(), "signoff-evals-"));
});

afterAll(async () => {
  await environment?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("eval runner (offline graph, gates recorded, not waited on)", () => {
  it("takes the routes the service takes, and still judges and scores every draft", () => {
    expect(first.failures).toEqual([]);
    expect(first.records.map((r) => [r.id, r.route])).toEqual(
      SLICE.map((id) => [id, offlineRoutes.get(id)]),
    );
    const byId = new Map(first.records.map((r) => [r.id, r]));

    const paused = byId.get("store-price-match-window")!;
    expect(paused.retrieval_score).toBeLessThan(0.5);
    expect(paused.judge).not.toBeNull(); // approved, so the draft was written and judged anyway
    expect(paused.quality?.method).toBe("token_f1");
    // The judge scores that draft under its threshold too (the draft says "purchase", the
    // question "buying"), so after the retrieval approval it paused again for the answer, which
    // the runner approved.
    expect(paused).toMatchObject({ reviews: ["retrieval", "answer"], provenance: "approved" });
    expect(paused.judge!.score).toBeLessThan(0.6);

    const refused = byId.get("adv-injection-ignore-previous")!;
    expect(refused).toMatchObject({
      route: "refusal",
      risk_tier: "blocked",
      judge: null,
      draft: null,
      quality: null,
    });

    const highRisk = byId.get("health-paracetamol-interval")!;
    expect(highRisk).toMatchObject({
      route: "answer_review",
      risk_tier: "high",
      reviews: ["answer"],
    });

    const leak = byId.get("store-fuel-canisters-abroad")!;
    expect(leak).toMatchObject({ route: "auto", correct: false, acceptable_unreviewed: false });
    expect(leak.quality!.f1).toBeLessThan(0.5);
    for (const id of ["store-returns-window", "store-saturday-hours"]) {
      expect(byId.get(id)).toMatchObject({
        route: "auto",
        correct: true,
        acceptable_unreviewed: true,
      });
    }

    for (const r of first.records) {
      expect(r.latency_ms.guard).toBeGreaterThan(0);
      expect(r.total_ms).toBeGreaterThanOrEqual(
        Object.values(r.latency_ms).reduce((a, b) => a + b, 0) - 0.1,
      );
    }
    expect(paused.latency_ms).toHaveProperty("review_retrieval");
    expect(paused.latency_ms).toHaveProperty("judge");
  });

  it("summarizes the run and writes summary.json, cases.jsonl and an HTML report with plots", async () => {
    const summary = summarizeRun(first, "seed slice");
    expect(summary).toMatchObject({
      dataset: "seed slice",
      provider: "offline",
      thresholds: { retrieval: 0.5, judge: 0.6 },
      cases: 8,
      errors: 0,
      auto_answer_rate: 3 / 8,
      review_share: 4 / 8,
      refusal_share: 1 / 8,
      leak_rate: 1 / 8,
      leaked: ["store-fuel-canisters-abroad"],
    });
    // Should escalate: all but the three auto rows. Did: exactly those five.
    expect(summary.escalation).toMatchObject({
      tp: 5,
      fp: 0,
      fn: 0,
      tn: 3,
      precision: 1,
      recall: 1,
    });
    expect(summary.route_confusion.counts[0]).toEqual([3, 0, 0, 0]);
    expect(summary.route_accuracy).toBe(1);
    expect(summary.answer_quality).toMatchObject({ method: "token_f1", cut: 0.5 });
    expect(summary.answer_quality.cases).toBe(
      first.records.filter((r) => r.quality !== null).length,
    );
    expect(summary.judge_agreement.n).toBe(summary.answer_quality.cases);
    expect(Object.keys(summary.latency_ms)).toEqual(
      expect.arrayContaining([
        "guard",
        "retrieve",
        "review_retrieval",
        "generate",
        "judge",
        "review_answer",
        "respond",
      ]),
    );
    expect(summary.latency_ms.guard!.p95).toBeGreaterThanOrEqual(summary.latency_ms.guard!.p50!);

    const calibration = calibrate(first.records, { target: 0.05, current: first.thresholds });
    const files = await writeReport(
      outDir,
      buildReport(summary, calibration, first.failures),
      first.records,
    );
    const json = JSON.parse(await readFile(files.summary, "utf8"));
    expect(json).toMatchObject({ thresholds: { retrieval: 0.5, judge: 0.6 }, leak_rate: 0.125 });
    expect(json.calibration.recommended.thresholds).toEqual(calibration.recommended!.thresholds);
    expect((await readFile(files.cases, "utf8")).trim().split("\n")).toHaveLength(8);
    const html = await readFile(files.html, "utf8");
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(5);
    expect(html).toContain("store-fuel-canisters-abroad");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
  });

  it("run at the thresholds calibration recommends, reports exactly those and the shares it predicted", async () => {
    const calibration = calibrate(first.records, { target: 0.05, current: first.thresholds });
    expect(calibration.current).toMatchObject({ leaked: 1, reviewed: 4 });
    const rec = calibration.recommended!;
    expect(rec.leaked).toBe(0);
    // The leak is a low-risk answer the judge liked (0.87): only a stricter judge stops it.
    expect(rec.thresholds.judge).toBeGreaterThan(0.6);

    const second = await runEvals({
      cases,
      context: environment.context,
      thresholds: rec.thresholds,
    });
    const summary = summarizeRun(second, "seed slice");
    expect(summary.thresholds).toEqual(rec.thresholds);
    expect(summary.leak_rate).toBe(rec.leak_share);
    expect(summary.review_share).toBe(rec.review_share);
    expect(summary.auto_answer_rate).toBe(rec.auto_share);
    // Route by route, the graph does what calibration predicted from the first run's scores.
    expect(second.records.map((r) => r.route)).toEqual(
      first.records.map((r) => predictRoute(r, rec.thresholds)),
    );
    // And the recorded scores do not depend on the thresholds.
    expect(second.records.map((r) => [r.retrieval_score, r.judge?.score])).toEqual(
      first.records.map((r) => [r.retrieval_score, r.judge?.score]),
    );
  });

  it("with a model provider's judge, grades drafts against the reference as its only evidence", async () => {
    const seen: JudgeInput[] = [];
    const judge = {
      judge: (input: JudgeInput) => {
        seen.push(input);
        return Promise.resolve({
          score: 0.3,
          groundedness: 0.3,
          coverage: 0.3,
          flags: [],
          rationale: "fake",
          provider: "fake",
        });
      },
    };
    const run = await runEvals({
      cases: cases.slice(0, 1),
      context: environment.context,
      referenceJudge: judge,
    });
    expect(run.quality_method).toBe("judge");
    expect(run.records[0]!.quality).toMatchObject({
      method: "judge",
      judge_score: 0.3,
      correct: false,
    });
    expect(run.records[0]!.quality!.f1).toBeGreaterThan(0.5); // token F1 still reported
    expect(seen).toHaveLength(1);
    expect(seen[0]!.evidence).toEqual([
      expect.objectContaining({ chunk_id: REFERENCE_CHUNK_ID, text: cases[0]!.human.reference }),
    ]);
    expect(seen[0]!.draft.citations.map((c) => c.chunk_id)).toEqual([REFERENCE_CHUNK_ID]);
    expect(seen[0]!.draft.text).toMatch(/\[1\]$/);
  });
});
