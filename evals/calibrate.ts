import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseCli } from "../src/cli/args.js";
import { EnvError, readEnv } from "../src/env.js";
import { ProviderConfigError } from "../src/providers/bedrock/index.js";
import {
  certify,
  formatCertification,
  writeThresholdsEnv,
  type CalibrationCase,
} from "../src/evals/calibration.js";
import { DatasetError, loadDataset } from "../src/evals/dataset.js";
import { runEvals } from "../src/evals/runner.js";
import {
  DEFAULT_DATASET,
  parseRecordedCases,
  positiveIntOption,
  reportCliError,
  shareOption,
  UsageError,
  withDefaultValue,
} from "../src/evals/runner-cli.js";
import { openEvalEnvironment } from "../src/evals/runner-environment.js";

const USAGE = `Usage: npm run evals:calibrate -- [--dataset FILE | --cases FILE] [options]

Certifies retrieval and judge thresholds from human-labelled cases: per risk tier, the pair
whose rate of wrong automatic answers (answered unreviewed although the human label says they
should not have been) has a one-sided Clopper-Pearson upper bound at --confidence at or under
--target, and, among those, the one sending the fewest questions to reviewers. Prints, per tier,
the chosen pair, its bound, the sample behind it (n automatic answers, k wrong) and its review
share; when the labels are too few to certify the target, how many more it would take.

Candidate pairs are tested in a fixed order, strictest first, stopping at the first whose bound
exceeds the target (fixed-sequence testing, as in Learn then Test): with probability at least
--confidence every certified pair meets the target, with no correction for the grid's size.

The graph runs once over the dataset (as \`npm run evals\` does: every review approved, so every
question gets retrieval and judge scores); each threshold pair is then evaluated from those
recorded scores with the graph's routing rules, without running the graph again.

Options:
  --dataset FILE        labelled cases: seed-format rows or LangSmith examples (default
                        ${DEFAULT_DATASET})
  --cases FILE          use the cases.jsonl of an earlier \`npm run evals\` instead of running
  --target RATE         highest acceptable wrong-automatic-answer rate (default 0.02)
  --confidence C        confidence of the bound, between 0 and 1 (default 0.95)
  --step STEP           threshold grid step (default 0.01)
  --write [FILE]        write the certified RETRIEVAL_THRESHOLD and JUDGE_THRESHOLD to FILE
                        (default .env), replacing those lines and keeping every other line
  --kb DIR              knowledge base to ingest instead of kb/sample (repeatable)
  --limit N             only the first N cases
  -h, --help            show this help

Review share: questions sent to a reviewer at either gate, over the tier's cases.

The server reads the thresholds from its environment (RETRIEVAL_THRESHOLD, JUDGE_THRESHOLD):
the LangGraph CLI (npm run studio) loads .env through langgraph.json; for npm start, export them
(set -a; . ./.env; set +a) or run npx tsx --env-file=.env src/server.ts. Check the result with
npm run evals -- --thresholds-from .env`;

const { values, positionals } = parseCli(
  USAGE,
  {
    dataset: { type: "string" },
    cases: { type: "string" },
    target: { type: "string" },
    confidence: { type: "string" },
    step: { type: "string" },
    write: { type: "string" },
    kb: { type: "string", multiple: true },
    limit: { type: "string" },
  },
  withDefaultValue(process.argv.slice(2), "--write", ".env"),
);

try {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.dataset && values.cases) throw new UsageError("give --dataset or --cases, not both");
  const env = readEnv();
  const target = shareOption("target", values.target) ?? 0.02;
  const confidence = shareOption("confidence", values.confidence) ?? 0.95;
  if (confidence === 0 || confidence === 1) {
    throw new UsageError("--confidence must be between 0 and 1, not 0 or 1");
  }
  const step = shareOption("step", values.step) ?? 0.01;
  if (step === 0) throw new UsageError("--step must be over 0");
  const limit = positiveIntOption("limit", values.limit);
  const current = { retrieval: env.RETRIEVAL_THRESHOLD, judge: env.JUDGE_THRESHOLD };

  let cases: CalibrationCase[];
  let from: string;
  if (values.cases) {
    let text: string;
    try {
      text = await readFile(values.cases, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read ${values.cases}: ${(error as Error).message}`);
    }
    cases = parseRecordedCases(text, values.cases).slice(0, limit);
    from = values.cases;
  } else {
    const datasetFile = values.dataset ?? DEFAULT_DATASET;
    const dataset = (await loadDataset(datasetFile)).slice(0, limit);
    const environment = await openEvalEnvironment({
      env,
      kbDirs: values.kb?.map((d) => path.resolve(d)),
    });
    try {
      process.stderr.write(
        `recording scores for ${dataset.length} cases from ${datasetFile} on ${environment.description}\n`,
      );
      const run = await runEvals({
        cases: dataset,
        context: environment.context,
        thresholds: current,
        referenceJudge: environment.referenceJudge,
      });
      for (const f of run.failures) process.stderr.write(`${f.id}: FAILED, left out: ${f.error}\n`);
      cases = run.records;
    } finally {
      await environment.close();
    }
    from = datasetFile;
  }
  if (cases.length === 0) throw new UsageError("no labelled cases to calibrate on");

  const certification = certify(cases, { target, confidence, step, current });
  console.log(
    `Certification on ${from}: wrong automatic answers ≤ ${(target * 100).toFixed(1)}% ` +
      `at ${(confidence * 100).toFixed(1)}% confidence\n`,
  );
  console.log(formatCertification(certification));

  const t = certification.recommended;
  if (values.write) {
    if (!t) {
      console.error(`\nnothing written to ${values.write}: no thresholds are certified`);
      process.exitCode = 1;
    } else {
      const before = await readFile(values.write, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "";
        throw error;
      });
      await writeFile(values.write, writeThresholdsEnv(before, t));
      console.log(
        `\nwrote RETRIEVAL_THRESHOLD=${t.retrieval} and JUDGE_THRESHOLD=${t.judge} to ${values.write}`,
      );
      console.log(`check them with: npm run evals -- --thresholds-from ${values.write}`);
    }
  } else if (t) {
    console.log(
      `\nto use them: RETRIEVAL_THRESHOLD=${t.retrieval} JUDGE_THRESHOLD=${t.judge} (or rerun with --write .env)`,
    );
  }
} catch (error) {
  reportCliError(
    error,
    USAGE,
    "calibration",
    (e) => e instanceof DatasetError || e instanceof EnvError || e instanceof ProviderConfigError,
  );
}
