import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { parseCli } from "../src/cli/args.js";
import { openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { readEnv } from "../src/env.js";
import { describeStats, exportExamples, toJsonl } from "../src/evals/export.js";
import { uploadToLangSmith } from "../src/evals/export-langsmith.js";
import { isStorableTimestamp } from "../src/validation/timestamps.js";

const USAGE = `Usage: npm run evals:export -- --out FILE [options]

Writes the human signal on finished threads (review decisions and post-inference feedback) as an
eval dataset: JSONL in the LangSmith example shape {inputs, outputs, metadata}, one example per
question. The reference answer comes from approved, edited or human-written answers and user
corrections; rejections are kept as negative examples (outputs.answer null). Duplicate questions
keep the strongest human signal. The train/test split is a hash of the question, so re-exports
never move an example between splits. GET /datasets/export serves the same lines.

Uses DATABASE_URL, or the embedded database under DATA_DIR when it is unset (stop the server
first then: only one process can open the embedded database; or use GET /datasets/export).

To pipe the JSONL, run it as \`npm run -s evals:export -- --out - | …\`: without -s, npm prints
its own "> signoff@… evals:export" banner on stdout first. Progress always goes to stderr.

Options:
  --out FILE                 where to write the JSONL; - for stdout (required)
  --test-share N             share of questions in the test split, 0 to 1 (default 0.2)
  --since ISO                only threads with human signal at or after this date or time
  --split train|test         only this split
  --langsmith-dataset NAME   also upload to this LangSmith dataset (created when missing; examples
                             already there are updated); needs LANGSMITH_API_KEY, and
                             LANGSMITH_ENDPOINT for a self-hosted or EU instance
  -h, --help                 show this help`;

const { values } = parseCli(USAGE, {
  out: { type: "string", short: "o" },
  "test-share": { type: "string" },
  since: { type: "string" },
  split: { type: "string" },
  "langsmith-dataset": { type: "string" },
});

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const out = values.out ?? usageError("--out FILE is required (- for stdout)");
const testShare = values["test-share"] === undefined ? undefined : Number(values["test-share"]);
if (
  testShare !== undefined &&
  !(values["test-share"]!.trim() !== "" && testShare >= 0 && testShare <= 1)
) {
  usageError(`--test-share must be a number from 0 to 1, not "${values["test-share"]}"`);
}
const since = values.since === undefined ? undefined : new Date(values.since);
if (since && (Number.isNaN(since.getTime()) || !isStorableTimestamp(values.since!)))
  usageError(`--since must be an ISO 8601 date or time, not "${values.since}"`);
const split = values.split;
if (split !== undefined && split !== "train" && split !== "test")
  usageError(`--split must be train or test, not "${split}"`);
const datasetName = values["langsmith-dataset"];

const env = readEnv();
// LANGSMITH_API_KEY and LANGSMITH_ENDPOINT are optional settings of src/env.ts.
const langsmith = env;
if (datasetName !== undefined && !langsmith.LANGSMITH_API_KEY) {
  console.error(
    "--langsmith-dataset needs LANGSMITH_API_KEY (and LANGSMITH_ENDPOINT for a self-hosted or EU instance)",
  );
  process.exit(2);
}

async function writeAll(target: Writable, lines: Iterable<string>): Promise<void> {
  for (const line of lines) {
    if (!target.write(line)) await once(target, "drain");
  }
}

const toStdout = out === "-";
const report = (line: string) => (toStdout ? console.error(line) : console.log(line));
const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 2, dataDir: env.DATA_DIR });
const partial = `${out}.partial-${process.pid}`;
try {
  await migrate(db.pool);
  process.stderr.write(`reading threads from ${db.description}\n`);
  const { examples, stats } = await exportExamples(db.pool, {
    since,
    testShare,
    split,
    onProgress: ({ threads }) => process.stderr.write(`  ${threads} threads with feedback read\n`),
  });
  const lines = examples.map(toJsonl);
  if (toStdout) {
    await writeAll(process.stdout, lines);
  } else {
    // Written aside and renamed, so FILE is never a half-written export.
    const file = createWriteStream(partial);
    await writeAll(file, lines);
    file.end();
    await once(file, "finish");
    await rename(partial, out);
  }
  report(`exported ${describeStats(stats)}${toStdout ? "" : ` to ${out}`}`);
  if (datasetName !== undefined) {
    process.stderr.write(
      `uploading ${examples.length} examples to LangSmith dataset "${datasetName}"\n`,
    );
    const result = await uploadToLangSmith(examples, {
      datasetName,
      apiKey: langsmith.LANGSMITH_API_KEY,
      apiUrl: langsmith.LANGSMITH_ENDPOINT,
      onProgress: ({ done, total }) => process.stderr.write(`  ${done}/${total}\n`),
    });
    report(
      `LangSmith dataset "${datasetName}" (${result.dataset_id}${result.dataset_created ? ", created" : ""}): ${result.created} examples added, ${result.updated} updated`,
    );
  }
} catch (error) {
  await rm(partial, { force: true });
  console.error(`evals:export failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
