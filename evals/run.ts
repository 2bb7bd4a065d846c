import path from "node:path";
import { parseCli } from "../src/cli/args.js";
import { EnvError, readEnv } from "../src/env.js";
import { ProviderConfigError } from "../src/providers/bedrock/index.js";
import { calibrate } from "../src/evals/calibration.js";
import { DatasetError, loadDataset } from "../src/evals/dataset.js";
import { buildReport, writeReport } from "../src/evals/report.js";
import { formatSummary } from "../src/evals/report-text.js";
import { formatLiveSection, readLiveSection, type LiveSection } from "../src/evals/report-live.js";
import { DEFAULT_SETTINGS } from "../src/graph/settings.js";
import { runEvals, summarizeRun } from "../src/evals/runner.js";
import {
  DEFAULT_DATASET,
  defaultOutDir,
  positiveIntOption,
  progressLine,
  resolveThresholds,
  shareOption,
  reportCliError,
  UsageError,
} from "../src/evals/runner-cli.js";
import { openEvalEnvironment } from "../src/evals/runner-environment.js";

const USAGE = `Usage: npm run evals -- [--dataset FILE] [options]

Runs the signoff graph over a labelled dataset without waiting for reviewers: at each review
gate it records the route and the scores, then approves so the draft is still written, judged
and scored against the reference answer. Prints the metrics and writes summary.json,
cases.jsonl and report.html.

Options:
  --dataset FILE               seed-format rows or LangSmith examples, JSON Lines or a JSON
                               array (default ${DEFAULT_DATASET})
  --out-dir DIR                where the report goes (default evals/reports/<UTC timestamp>/)
  --retrieval-threshold X      run at this retrieval threshold
  --judge-threshold Y          run at this judge threshold
  --thresholds-from FILE       read RETRIEVAL_THRESHOLD / JUDGE_THRESHOLD from an env file, e.g.
                               the one \`npm run evals:calibrate -- --write\` wrote
  --target SHARE               leak target for the report's calibration section (default 0.05)
  --kb DIR                     knowledge base to ingest instead of kb/sample (repeatable)
  --limit N                    only the first N cases
  --live                       add the live wrong-automatic-answer rate from the service's
                               database (DATABASE_URL, or the embedded one under DATA_DIR: stop
                               the server first then), window GATE_LIVE_WINDOW_DAYS
  -q, --quiet                  no per-question progress on stderr
  -h, --help                   show this help

Thresholds: the flags win, then --thresholds-from, then RETRIEVAL_THRESHOLD and JUDGE_THRESHOLD
from the environment (defaults ${DEFAULT_SETTINGS.retrievalThreshold} and ${DEFAULT_SETTINGS.judgeThreshold}). Providers come from MODEL_PROVIDER (offline by
default; with bedrock the judge also grades answers against the references). The database is a
throwaway in-memory PGlite: the service's own data is never touched.`;

const { values, positionals } = parseCli(USAGE, {
  dataset: { type: "string" },
  "out-dir": { type: "string" },
  "retrieval-threshold": { type: "string" },
  "judge-threshold": { type: "string" },
  "thresholds-from": { type: "string" },
  target: { type: "string" },
  kb: { type: "string", multiple: true },
  limit: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  live: { type: "boolean" },
});

try {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const env = readEnv();
  const datasetFile = values.dataset ?? DEFAULT_DATASET;
  const target = shareOption("target", values.target) ?? 0.05;
  const limit = positiveIntOption("limit", values.limit);
  const { thresholds, source } = await resolveThresholds({
    retrieval: values["retrieval-threshold"],
    judge: values["judge-threshold"],
    from: values["thresholds-from"],
    env: { retrieval: env.RETRIEVAL_THRESHOLD, judge: env.JUDGE_THRESHOLD },
  });
  const cases = (await loadDataset(datasetFile)).slice(0, limit);
  const outDir = values["out-dir"] ?? defaultOutDir();

  const environment = await openEvalEnvironment({
    env,
    kbDirs: values.kb?.map((d) => path.resolve(d)),
  });
  try {
    process.stderr.write(
      `running ${cases.length} cases from ${datasetFile} on ${environment.description}, ` +
        `thresholds retrieval ${thresholds.retrieval}, judge ${thresholds.judge} (${source})\n`,
    );
    const run = await runEvals({
      cases,
      context: environment.context,
      thresholds,
      referenceJudge: environment.referenceJudge,
      onCase: values.quiet
        ? undefined
        : (r, i, n) => process.stderr.write(`${progressLine(r, i, n)}\n`),
    });
    const summary = summarizeRun(run, datasetFile);
    const calibration = calibrate(run.records, { target, current: run.thresholds });
    let live: LiveSection | null = null;
    if (values.live) {
      process.stderr.write("reading the live rate from the service's database\n");
      live = await readLiveSection(env).catch((error: Error) => {
        // The report is still worth writing; say why the section is missing.
        process.stderr.write(`live rate left out: ${error.message}\n`);
        return null;
      });
    }
    const files = await writeReport(
      outDir,
      buildReport(summary, calibration, run.failures, live),
      run.records,
    );
    console.log(formatSummary(summary));
    if (live) console.log(formatLiveSection(live));
    const rec = calibration.recommended;
    console.log(
      rec
        ? `  calibration (leak target ${target}): recommended retrieval ${rec.thresholds.retrieval}, judge ${rec.thresholds.judge} ` +
            `→ review share ${(rec.review_share * 100).toFixed(1)}%, leak share ${(rec.leak_share * 100).toFixed(1)}% (npm run evals:calibrate for the curve)`
        : `  calibration: no thresholds meet the leak target ${target} (npm run evals:calibrate for the curve)`,
    );
    console.log(`\nwrote ${files.summary}\n      ${files.cases}\n      ${files.html}`);
    if (run.failures.length > 0) process.exitCode = 1;
  } finally {
    await environment.close();
  }
} catch (error) {
  reportCliError(
    error,
    USAGE,
    "evals",
    (e) => e instanceof DatasetError || e instanceof EnvError || e instanceof ProviderConfigError,
  );
}
