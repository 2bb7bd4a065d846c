import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { riskTiers } from "../graph/policy.js";
import { readThresholdsEnv, type CalibrationCase } from "./calibration.js";
import type { CaseFailure } from "./runner.js";
import type { CaseRecord, Thresholds } from "./runner-record.js";

/** Helpers shared by evals/run.ts and evals/calibrate.ts. */

export class UsageError extends Error {}

export const DEFAULT_DATASET = "evals/datasets/seed.jsonl";
export const DEFAULT_REPORTS_DIR = "evals/reports";

/** A number in [0, 1] from a flag, or undefined when the flag is absent. */
export function shareOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--${name} must be a number from 0 to 1, got "${raw}"`);
  }
  return n;
}

export function positiveIntOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a whole number ≥ 1, got "${raw}"`);
  return n;
}

/**
 * The thresholds to run at, most specific first: the flags, then the env file given with
 * --thresholds-from, then the environment (RETRIEVAL_THRESHOLD, JUDGE_THRESHOLD; their defaults
 * are in src/graph/settings.ts).
 */
export async function resolveThresholds(opts: {
  retrieval?: string;
  judge?: string;
  from?: string;
  env: Thresholds;
}): Promise<{ thresholds: Thresholds; source: string }> {
  let fromFile: Partial<Thresholds> = {};
  if (opts.from) {
    let text: string;
    try {
      text = await readFile(opts.from, "utf8");
    } catch (error) {
      throw new UsageError(
        `--thresholds-from: cannot read ${opts.from}: ${(error as Error).message}`,
      );
    }
    try {
      fromFile = readThresholdsEnv(text);
    } catch (error) {
      throw new UsageError(`--thresholds-from ${opts.from}: ${(error as Error).message}`);
    }
    if (fromFile.retrieval === undefined && fromFile.judge === undefined) {
      throw new UsageError(
        `--thresholds-from ${opts.from} sets neither RETRIEVAL_THRESHOLD nor JUDGE_THRESHOLD`,
      );
    }
  }
  const retrieval = shareOption("retrieval-threshold", opts.retrieval);
  const judge = shareOption("judge-threshold", opts.judge);
  const pick = (flag: number | undefined, file: number | undefined, env: number, name: string) =>
    flag !== undefined
      ? { value: flag, from: `--${name}-threshold` }
      : file !== undefined
        ? { value: file, from: opts.from! }
        : { value: env, from: "environment" };
  const r = pick(retrieval, fromFile.retrieval, opts.env.retrieval, "retrieval");
  const j = pick(judge, fromFile.judge, opts.env.judge, "judge");
  const source = r.from === j.from ? r.from : `retrieval from ${r.from}, judge from ${j.from}`;
  return { thresholds: { retrieval: r.value, judge: j.value }, source };
}

/** evals/reports/2026-11-25T02-31-07Z: sortable, and safe in a path on every OS. */
export function defaultOutDir(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
  return path.join(DEFAULT_REPORTS_DIR, stamp);
}

/** Lets a string flag be given without its value: `--write` alone means `--write .env`. */
export function withDefaultValue(argv: string[], flag: string, value: string): string[] {
  const out: string[] = [];
  argv.forEach((arg, i) => {
    out.push(arg);
    const next = argv[i + 1];
    if (arg === flag && (next === undefined || next.startsWith("-"))) out.push(value);
  });
  return out;
}

/** One progress line per question, for stderr. */
export function progressLine(
  result: CaseRecord | CaseFailure,
  index: number,
  total: number,
): string {
  const head = `[${String(index).padStart(String(total).length)}/${total}] ${result.id}`;
  if ("error" in result) return `${head}: FAILED: ${result.error}`;
  const scores = [
    result.retrieval_score === null ? null : `retrieval ${result.retrieval_score.toFixed(2)}`,
    result.judge
      ? `judge ${result.judge.score.toFixed(2)}${result.judge.flags.length ? ` [${result.judge.flags.join(",")}]` : ""}`
      : null,
    result.quality ? `F1 ${result.quality.f1.toFixed(2)}` : null,
  ].filter(Boolean);
  const expected = result.human.expected_route;
  const mark = expected === null ? "" : expected === result.route ? "" : ` (expected ${expected})`;
  return `${head} → ${result.route}${mark}  ${scores.join(", ")}`;
}

const calibrationCaseSchema = z.looseObject({
  id: z.string(),
  retrieval_score: z.number().nullable(),
  judge: z.looseObject({ score: z.number(), flags: z.array(z.string()) }).nullable(),
  risk_tier: z.enum(riskTiers).nullable(),
  audit_sample: z.boolean(),
  acceptable_unreviewed: z.boolean(),
});

/** Recorded cases (cases.jsonl of an eval run) read back for calibration. */
export function parseRecordedCases(text: string, name: string): CalibrationCase[] {
  return text
    .split("\n")
    .map((line, i) => ({ line, where: `${name}:${i + 1}` }))
    .filter(({ line }) => line.trim() !== "")
    .map(({ line, where }) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw new UsageError(`${where}: invalid JSON: ${(error as Error).message}`);
      }
      const parsed = calibrationCaseSchema.safeParse(json);
      if (!parsed.success)
        throw new UsageError(`${where}: not a recorded case: ${z.prettifyError(parsed.error)}`);
      return parsed.data as CalibrationCase;
    });
}

/** Reports a CLI failure: usage and configuration problems briefly (exit 2), the rest in full. */
export function reportCliError(
  error: unknown,
  usage: string,
  what: string,
  known: (error: unknown) => boolean,
): void {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 2;
  } else if (known(error)) {
    console.error((error as Error).message);
    process.exitCode = 2;
  } else {
    console.error(`${what} failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
