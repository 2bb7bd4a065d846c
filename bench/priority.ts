/**
 * Does a big batch starve interactive traffic? Interactive latency (POST /threads?wait= until the
 * thread settles) is measured alone, then again while a 10,000-question batch drains through the
 * same workers, and the ratio of the medians is printed.
 *
 *   tsx bench/priority.ts [--batch 10000] [--interactive 20] [--rounds 3] [--latency-ms 100]
 *
 * The service runs in process (its app called directly, no HTTP) on a scratch database on
 * DATABASE_URL's server, else on the embedded database in a temp directory. Offline models, with
 * OFFLINE_MODEL_LATENCY_MS standing in for a hosted model's wait. Progress on stderr, results on
 * stdout.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { createAppFor } from "../src/api/app.js";
import { parseCli } from "../src/cli/args.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { readEnv, type Env } from "../src/env.js";
import { createRuntime } from "../src/runtime.js";

const USAGE = `Usage: npm run bench:priority -- [options]

Interactive p50 latency alone and with a large batch running; prints the ratio (target: ≤ 2×).

Options:
  --batch N          questions in the batch (default 10000)
  --interactive N    interactive questions per round, one at a time (default 20)
  --rounds N         rounds per phase; the medians of the rounds' p50s are compared (default 3)
  --latency-ms MS    OFFLINE_MODEL_LATENCY_MS: each generate and judge call waits this long (default 100)
  --concurrency N    WORKER_CONCURRENCY (default 4; batch runs may hold all but one slot)
  -h, --help         show this help

Uses a scratch database on DATABASE_URL (dropped afterwards), else the embedded database.`;

const { values } = parseCli(USAGE, {
  batch: { type: "string" },
  interactive: { type: "string" },
  rounds: { type: "string" },
  "latency-ms": { type: "string" },
  concurrency: { type: "string" },
});

function int(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got "${raw}"\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const options = {
  batch: int("batch", values.batch, 10_000, 1),
  interactive: int("interactive", values.interactive, 20, 1),
  rounds: int("rounds", values.rounds, 3, 1),
  latencyMs: int("latency-ms", values["latency-ms"], 100, 0),
  concurrency: int("concurrency", values.concurrency, 4, 1),
};

/** Low-risk questions the sample knowledge base answers: they complete without a review. */
const INTERACTIVE = [
  "How many days do I have to return unused items?",
  "How long does standard shipping take?",
  "Can I return an item without a receipt?",
];

const log = (line: string) => process.stderr.write(`${line}\n`);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Scratch {
  database: Database;
  env: Partial<Env>;
  description: string;
  cleanup(): Promise<void>;
}

async function scratchDatabase(base: Env): Promise<Scratch> {
  if (base.DATABASE_URL) {
    const name = `signoff_bench_priority_${randomBytes(6).toString("hex")}`;
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: base.DATABASE_URL });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(base.DATABASE_URL);
    url.pathname = `/${name}`;
    const database = await openDatabase({ url: url.toString(), poolSize: base.DATABASE_POOL_SIZE });
    return {
      database,
      env: { DATABASE_URL: url.toString() },
      description: `PostgreSQL (scratch database, pool of ${base.DATABASE_POOL_SIZE})`,
      cleanup: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "signoff-bench-priority-"));
  const database = await openDatabase({ dataDir });
  return {
    database,
    env: { DATABASE_URL: undefined, DATA_DIR: dataDir },
    description: "embedded PGlite (1 connection)",
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function main(): Promise<void> {
  const base = readEnv();
  const scratch = await scratchDatabase(base);
  const env: Env = {
    ...base,
    ...scratch.env,
    MODEL_PROVIDER: "offline",
    OFFLINE_MODEL_LATENCY_MS: options.latencyMs,
    WORKER_CONCURRENCY: options.concurrency,
    POLICY_FILE: undefined,
    REVIEW_POLICY_FILE: undefined,
    WEBHOOK_URL: undefined,
    WEBHOOK_SECRET: undefined,
    SEED_SAMPLE_KB: true,
    LOG_LEVEL: "warn",
    // The whole batch in one request, as a client of POST /batches may send it.
    MAX_BODY_BYTES: 16 * 1024 * 1024,
    BATCH_MAX_ITEMS: Math.max(10_000, options.batch),
  };
  const logger = pino({ level: "warn" }, pino.destination(2));
  const runtime = await createRuntime({
    env,
    logger,
    database: scratch.database,
    startWorker: true,
  });
  const app = createAppFor(runtime);
  const call = async (method: string, url: string, body?: string, type = "application/json") => {
    const res = await app.request(url, {
      method,
      headers: body === undefined ? {} : { "content-type": type },
      body,
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300)
      throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  /** One interactive round: questions one at a time, each timed until its thread settles. */
  const round = async (): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < options.interactive; i++) {
      const question = INTERACTIVE[i % INTERACTIVE.length]!;
      const started = performance.now();
      const thread = await call("POST", "/threads?wait=60", JSON.stringify({ question }));
      times.push(performance.now() - started);
      if (thread.status !== "completed" && thread.status !== "awaiting_review") {
        throw new Error(`an interactive thread ended "${String(thread.status)}"`);
      }
    }
    return times;
  };

  try {
    log(
      `priority bench on ${scratch.description}, model latency ${options.latencyMs} ms, ${options.concurrency} worker slots`,
    );
    await round(); // warm-up: plans, caches, the JIT
    const alone: number[] = [];
    for (let r = 1; r <= options.rounds; r++) {
      const p50 = median(await round());
      alone.push(p50);
      log(`  alone, round ${r}: p50 ${p50.toFixed(0)} ms`);
    }

    const lines = Array.from({ length: options.batch }, (_, i) =>
      JSON.stringify({ question: `${INTERACTIVE[i % INTERACTIVE.length]!} (batch item ${i + 1})` }),
    ).join("\n");
    const submitStarted = performance.now();
    const batch = await call("POST", "/batches?priority=50", lines, "application/x-ndjson");
    const batchId = String(batch.batch_id);
    log(
      `  batch of ${options.batch} submitted in ${(performance.now() - submitStarted).toFixed(0)} ms`,
    );
    const progress = async () =>
      (await call("GET", `/batches/${batchId}`)) as { counts: Record<string, number> };
    // Measure only once the batch holds its worker slots.
    for (;;) {
      const { counts } = await progress();
      if (counts.running! > 0 || counts.completed! > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const withBatch: number[] = [];
    const measuredFrom = performance.now();
    const before = await progress();
    for (let r = 1; r <= options.rounds; r++) {
      const p50 = median(await round());
      withBatch.push(p50);
      const { counts } = await progress();
      log(
        `  with the batch, round ${r}: p50 ${p50.toFixed(0)} ms (batch: ${counts.queued} queued, ${counts.running} running)`,
      );
      if (counts.queued === 0)
        log("  warning: the batch ran out during the round; use a larger --batch");
    }
    const after = await progress();
    const seconds = (performance.now() - measuredFrom) / 1000;
    const drained =
      after.counts.completed! +
      after.counts.awaiting_review! -
      (before.counts.completed! + before.counts.awaiting_review!);

    const aloneP50 = median(alone);
    const withP50 = median(withBatch);
    const ratio = withP50 / aloneP50;
    console.log(
      [
        `interactive p50 alone:            ${aloneP50.toFixed(0)} ms (median of ${options.rounds} rounds of ${options.interactive})`,
        `interactive p50 with the batch:   ${withP50.toFixed(0)} ms`,
        `ratio:                            ${ratio.toFixed(2)}× (target ≤ 2×: ${ratio <= 2 ? "met" : "NOT met"})`,
        `batch throughput meanwhile:       ${(drained / seconds).toFixed(1)} questions/s (${drained} in ${seconds.toFixed(1)} s)`,
      ].join("\n"),
    );
    if (ratio > 2) process.exitCode = 1;
  } finally {
    // The rest of the batch stays queued; the scratch database goes with it.
    await runtime.close();
    await scratch.database.close();
    await scratch.cleanup();
  }
}

await main();
