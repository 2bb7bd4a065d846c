import { Command, MemorySaver } from "@langchain/langgraph";
import type { HumanInterrupt } from "@langchain/langgraph/prebuilt";
import type { GraphContext } from "../graph/configuration.js";
import { DEFAULT_SETTINGS, mergeSettings, type GraphSettings } from "../graph/settings.js";
import type { ReviewStage } from "../graph/decision.js";
import { compileGraph, type SignoffGraph } from "../graph/graph.js";
import { cardOfInterrupt } from "../graph/review-card.js";
import type { State } from "../graph/state.js";
import type { Judge } from "../providers/types.js";
import { pendingInterrupts } from "../runs/executor.js";
import { reviewRoute, type EvalCase, type Route } from "./dataset.js";
import { summarize, type EvalSummary } from "./metrics.js";
import { lexicallyCorrect, QUALITY_CUT, tokenF1 } from "./metrics-token-f1.js";
import { judgeAgainstReference } from "./metrics-judge.js";
import type { AnswerQuality, CaseRecord, Thresholds } from "./runner-record.js";

/**
 * Runs the real compiled graph over a dataset without waiting for anyone: "gates recorded, not
 * waited on". Each question gets its own thread on an in-process MemorySaver. When the graph
 * pauses at a review, the runner records which gate it reached (the question's route is the
 * first gate) and resumes the interrupt, by id, with `{type: "approve"}`, so generation and the
 * judge still run and every question ends with a judged draft that can be scored against the
 * reference. Retrieval, judge scores, flags and the risk tier do not depend on the thresholds,
 * which is what lets calibration re-route recorded cases at other thresholds without running
 * the graph again.
 */

/** Resumes per question before the runner gives up (approve never loops; this is a backstop). */
const MAX_RESUMES = 5;

export interface RunnerOptions {
  cases: EvalCase[];
  /** Providers, policy and the deployment's settings; `thresholds` override the settings'. */
  context: GraphContext;
  thresholds?: Partial<Thresholds>;
  /** Grades drafts against the reference with this judge (a model provider) instead of token F1. */
  referenceJudge?: Judge;
  qualityCut?: number;
  /** Called after every question (progress output). */
  onCase?: (result: CaseRecord | CaseFailure, index: number, total: number) => void;
}

/** A question the graph threw on; counted in the summary, left out of the metrics. */
export interface CaseFailure {
  id: string;
  question: string;
  error: string;
}

export interface EvalRun {
  started_at: string;
  provider: string;
  thresholds: Thresholds;
  settings: GraphSettings;
  quality_method: AnswerQuality["method"];
  quality_cut: number;
  records: CaseRecord[];
  failures: CaseFailure[];
}

/** The settings a run uses: defaults, the context's settings, then the explicit thresholds. */
export function effectiveSettings(
  context: GraphContext,
  thresholds: Partial<Thresholds> = {},
): GraphSettings {
  return mergeSettings(DEFAULT_SETTINGS, context.settings, {
    retrievalThreshold: thresholds.retrieval,
    judgeThreshold: thresholds.judge,
  });
}

export async function runEvals(options: RunnerOptions): Promise<EvalRun> {
  const settings = effectiveSettings(options.context, options.thresholds);
  const context: GraphContext = { ...options.context, settings };
  const qualityCut = options.qualityCut ?? QUALITY_CUT;
  const graph = compileGraph(new MemorySaver());
  const started = new Date().toISOString();
  const records: CaseRecord[] = [];
  const failures: CaseFailure[] = [];
  for (const [index, evalCase] of options.cases.entries()) {
    let result: CaseRecord | CaseFailure;
    try {
      result = await runCase(graph, evalCase, context, options.referenceJudge, qualityCut);
      records.push(result);
    } catch (error) {
      result = { id: evalCase.id, question: evalCase.question, error: (error as Error).message };
      failures.push(result);
    }
    options.onCase?.(result, index + 1, options.cases.length);
  }
  return {
    started_at: started,
    provider: context.providers.name,
    thresholds: { retrieval: settings.retrievalThreshold, judge: settings.judgeThreshold },
    settings,
    quality_method: options.referenceJudge ? "judge" : "token_f1",
    quality_cut: qualityCut,
    records,
    failures,
  };
}

/** The summary of a run (src/evals/metrics.ts), labelled with the dataset's name. */
export function summarizeRun(run: EvalRun, dataset: string): EvalSummary {
  const summary = summarize(run.records, {
    dataset,
    startedAt: run.started_at,
    provider: run.provider,
    thresholds: run.thresholds,
    settings: {
      top_k: run.settings.topK,
      revision_limit: run.settings.revisionLimit,
      audit_sample_rate: run.settings.auditSampleRate,
    },
    qualityMethod: run.quality_method,
    qualityCut: run.quality_cut,
  });
  return { ...summary, cases: summary.cases + run.failures.length, errors: run.failures.length };
}

async function runCase(
  graph: SignoffGraph,
  evalCase: EvalCase,
  context: GraphContext,
  referenceJudge: Judge | undefined,
  qualityCut: number,
): Promise<CaseRecord> {
  const threadId = `eval:${evalCase.id}`;
  const config = { configurable: { thread_id: threadId }, context };
  const latency: Record<string, number> = {};
  const reviews: ReviewStage[] = [];
  let totalMs = 0;
  let input: unknown = { question: evalCase.question, metadata: evalCase.metadata };
  for (let resumes = 0; ; resumes++) {
    totalMs += await streamTimed(graph, input, config, latency);
    const pending = pendingInterrupts(await graph.getState(config));
    if (pending.length === 0) break;
    if (resumes === MAX_RESUMES) throw new Error(`still paused after ${MAX_RESUMES} approvals`);
    for (const { value } of pending) reviews.push(cardOfInterrupt(value).stage);
    // Keyed by interrupt id, as the executor does.
    input = new Command({
      resume: Object.fromEntries(pending.map((p) => [p.id, { type: "approve" }])),
    });
  }
  const state = (await graph.getState(config)).values as State;
  const route = routeOf(reviews, state);

  const reference = evalCase.human.reference;
  const draft = state.draft?.text ?? null;
  let quality: AnswerQuality | null = null;
  if (reference !== null && draft !== null) {
    const f1 = tokenF1(draft, reference);
    const judgeScore = referenceJudge
      ? await judgeAgainstReference(referenceJudge, evalCase.question, draft, reference)
      : null;
    quality = {
      method: referenceJudge ? "judge" : "token_f1",
      f1: round(f1.f1),
      precision: round(f1.precision),
      recall: round(f1.recall),
      judge_score: judgeScore,
      correct:
        judgeScore !== null
          ? judgeScore >= qualityCut
          : lexicallyCorrect(draft, reference, qualityCut),
    };
  }
  const correct = quality ? quality.correct : null;
  const judgment = state.judgment;
  return {
    id: evalCase.id,
    question: evalCase.question,
    category: evalCase.category,
    domain: evalCase.domain,
    source: evalCase.source,
    human: evalCase.human,
    thread_id: threadId,
    route,
    reviews,
    risk_tier: state.riskTier ?? null,
    policy_rules: (state.policyMatches ?? []).map((m) => m.rule),
    retrieval_score: state.retrieval?.score ?? null,
    judge: judgment
      ? {
          score: judgment.score,
          groundedness: judgment.groundedness,
          coverage: judgment.coverage,
          flags: judgment.flags,
          provider: judgment.provider,
        }
      : null,
    audit_sample: state.auditSample ?? false,
    draft,
    answer: state.answer ?? null,
    provenance: state.provenance ?? null,
    quality,
    correct,
    acceptable_unreviewed: !evalCase.human.should_escalate && correct !== false,
    latency_ms: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, round(v, 2)])),
    total_ms: round(totalMs, 2),
  };
}

/** The first gate reached, else how the thread finished. */
function routeOf(reviews: ReviewStage[], state: State): Route {
  if (reviews[0] !== undefined) return reviewRoute(reviews[0]);
  if (state.riskTier === "blocked") return "refusal";
  if (state.provenance === "auto") return "auto";
  throw new Error(
    `finished without a review, a refusal or an auto answer (provenance ${state.provenance})`,
  );
}

/**
 * Streams one graph call in "updates" mode and adds, per node, the time from the previous update
 * (or the start of the call) to that node's update. An interrupt's update is charged to the
 * review node that raised it. Returns the call's total milliseconds.
 */
async function streamTimed(
  graph: SignoffGraph,
  input: unknown,
  config: { configurable: { thread_id: string }; context: GraphContext },
  latency: Record<string, number>,
): Promise<number> {
  const start = performance.now();
  let last = start;
  const stream = await graph.stream(input as Parameters<SignoffGraph["stream"]>[0], {
    ...config,
    streamMode: "updates",
  });
  for await (const chunk of stream as AsyncIterable<Record<string, unknown>>) {
    const now = performance.now();
    const node = Object.keys(chunk).map((key) =>
      key === "__interrupt__" ? interruptedNode(chunk[key]) : key,
    )[0];
    if (node) latency[node] = (latency[node] ?? 0) + (now - last);
    last = now;
  }
  return performance.now() - start;
}

function interruptedNode(value: unknown): string {
  const first = (value as { value?: HumanInterrupt }[] | undefined)?.[0]?.value;
  return first?.action_request.action ?? "interrupt";
}

function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
