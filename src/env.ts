import { z } from "zod";
import { DEFAULT_SETTINGS, graphSettingsSchema, type NumericSetting } from "./graph/settings.js";

/**
 * The only module that reads `process.env`. Entry points call `readEnv()` once and pass the
 * parsed values down; nothing else looks at the environment.
 */
const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

/** A graph setting from a variable: its bounds and default are the graph's (src/graph/settings.ts). */
function setting(key: NumericSetting) {
  return z.coerce.number().pipe(graphSettingsSchema.shape[key]).default(DEFAULT_SETTINGS[key]);
}

/** An age in days for retention; 0 means keep forever (a hundred years is the upper bound). */
const retentionDays = z.coerce.number().min(0).max(36_500);

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  /** Postgres connection string; when absent the embedded PGlite database under DATA_DIR is used. */
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default("./.data"),
  /** Load the bundled sample knowledge base when the database has no documents yet. */
  SEED_SAMPLE_KB: booleanFlag.default(true),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),

  MODEL_PROVIDER: z.enum(["offline", "bedrock"]).default("offline"),
  /** A wait before each offline generate and judge call, as a hosted model takes (demos, bench). */
  OFFLINE_MODEL_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  BEDROCK_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  BEDROCK_MODEL_ID: z.string().min(1).default("anthropic.claude-3-5-haiku-20241022-v1:0"),
  BEDROCK_JUDGE_MODEL_ID: z.string().min(1).optional(),
  /** Override the Bedrock runtime endpoint (a VPC endpoint, or a local stand-in in tests). */
  BEDROCK_ENDPOINT_URL: z.string().url().optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  AWS_PROFILE: z.string().min(1).optional(),

  RETRIEVAL_THRESHOLD: setting("retrievalThreshold"),
  JUDGE_THRESHOLD: setting("judgeThreshold"),
  RETRIEVAL_TOP_K: setting("topK"),
  REVISION_LIMIT: setting("revisionLimit"),
  AUDIT_SAMPLE_RATE: setting("auditSampleRate"),
  /**
   * The live loop (migration 0011): how long a process reuses the active threshold version
   * between runs without a change signal (approvals invalidate it at once through LISTEN/NOTIFY;
   * this bounds staleness if a notification is lost), and the window and confidence of the live
   * wrong-automatic-answer rate in /metrics and GET /gate/live.
   */
  THRESHOLDS_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  GATE_LIVE_WINDOW_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  GATE_LIVE_CONFIDENCE: z.coerce.number().gt(0).lt(1).default(0.95),
  /**
   * Prompts as approved data (migration 0016): how long a process reuses the active template
   * versions between runs without a change signal (as THRESHOLDS_CACHE_SECONDS), the eval set a
   * proposal's dry run samples (default evals/datasets/seed.jsonl) and how many of its cases.
   */
  PROMPTS_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  PROMPT_DRY_RUN_DATASET: z.string().min(1).optional(),
  PROMPT_DRY_RUN_SAMPLE: z.coerce.number().int().min(1).max(500).default(12),
  /** JSON file with the guard's policy rules; the built-in policy is used when absent. */
  POLICY_FILE: z.string().min(1).optional(),

  /**
   * When the workers write a run's checkpoints: `exit` (default) once when the run pauses or ends,
   * about half the statements and a third fewer commits (a crash mid-run replays the run from its
   * start); `async` or `sync` after every step (history, and Studio's time travel, show each node).
   */
  CHECKPOINT_DURABILITY: z.enum(["exit", "async", "sync"]).default("exit"),
  /** Run workers inside the API process (the single-process default). */
  WORKERS_IN_PROCESS: booleanFlag.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * How many of a worker's WORKER_CONCURRENCY slots batch runs may hold at once; unset: all but
   * one (at least one), so interactive runs always find a free slot while a batch drains.
   */
  WORKER_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  /** Questions one POST /batches (or /batches/:id/items) may carry; the body is MAX_BODY_BYTES at most. */
  BATCH_MAX_ITEMS: z.coerce.number().int().min(1).max(100_000).default(10_000),
  RUN_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
  RUN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),

  /** Review SLAs and approvals per stage and risk tier (JSON file); built-in defaults when absent. */
  REVIEW_POLICY_FILE: z.string().min(1).optional(),
  /** A reviewer's claim on an item lasts this long unless renewed with a heartbeat. */
  CLAIM_LEASE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  /** How many days back a curation page lists answers given from the version being replaced. */
  CURATION_AFFECTED_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How often the worker's sweeper looks for expired claims and overdue reviews. */
  SWEEP_INTERVAL_SECONDS: z.coerce.number().min(0.05).max(3600).default(15),

  /**
   * Retention, run by the worker's sweeper (src/runs/retention.ts). Every `_DAYS` variable is an
   * age in days (fractions allowed) after which rows go; 0 keeps them forever; unset means the
   * default. Threads, reviews and feedback are never deleted.
   *
   * Finished runs (succeeded, or failed for good) of finished threads. A finished run is only a
   * record of attempts, and the thread row keeps the outcome and any error: a month covers any
   * investigation of a recent incident.
   */
  RETENTION_RUNS_DAYS: retentionDays.default(30),
  /**
   * Delivered or given-up webhook events and their delivery attempts. Retries of an event end
   * within hours (backoff caps at an hour), so a month is long past any redelivery and long
   * enough to look into a failed one.
   */
  RETENTION_OUTBOX_DAYS: retentionDays.default(30),
  /**
   * Checkpoints of completed threads, pruned to the last one per namespace (getState, the thread
   * API and the audit trail keep working; Studio's time travel through the thread does not). A
   * week keeps recent threads debuggable step by step; after that only history goes.
   */
  RETENTION_CHECKPOINTS_DAYS: retentionDays.default(7),
  /**
   * The review audit trail (review_events), counted from the review's decision. Kept forever
   * unless set: it is the compliance record, and deleting it is the operator's decision.
   */
  RETENTION_REVIEW_EVENTS_DAYS: retentionDays.default(0),
  /**
   * Rows per delete statement, each its own short transaction; checkpoint pruning takes
   * batch size / 50 threads per batch (at least one), a thread having about 50 checkpoint rows.
   * Small enough that a batch takes milliseconds, also on the embedded database where it holds
   * the only connection.
   */
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /**
   * Batches per table per pass; what is left waits for the next pass, so one pass after a long
   * pause (or with retention just switched on) cannot run for minutes. 20 × 500 = 10,000 rows
   * per table every 10 minutes, over a million a day.
   */
  RETENTION_MAX_BATCHES: z.coerce.number().int().min(1).max(10_000).default(20),
  /** How often the sweeper runs a retention pass. A pass with nothing to delete is a few index seeks. */
  RETENTION_INTERVAL_SECONDS: z.coerce.number().min(1).max(86_400).default(600),

  /** Where webhook events are POSTed; no webhooks when unset. */
  WEBHOOK_URL: z.string().url().optional(),
  /** HMAC-SHA256 key for the Signoff-Signature header; required with WEBHOOK_URL. */
  WEBHOOK_SECRET: z.string().min(16).optional(),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),

  /**
   * Browser origins allowed to call the API (comma-separated, or `*`): Agent Inbox, Agent Chat
   * UI or Studio served from another origin. Unset: no cross-origin calls.
   */
  CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((o) => o.trim().replace(/\/$/, ""))
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.union([
          z.literal("*"),
          z.url({
            protocol: /^https?$/,
            error: "must be an origin like https://inbox.example.com",
          }),
        ]),
      ),
    )
    .default([]),

  /**
   * HMAC key of the per-thread tokens the feedback widget sends instead of an API key (at least
   * 32 characters). Unset: a random key made once and kept in the database, shared by every
   * process; set it to rotate (tokens signed with the old key stop working).
   */
  FEEDBACK_TOKEN_SECRET: z.string().min(32).optional(),
  /** How long a feedback token is valid after it is issued (default 7 days). */
  FEEDBACK_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(604_800),
  /**
   * The end-user demo page at /demo (it starts threads with no key). Unset: on only while open
   * mode applies (a loopback server with no key); `true` turns it on with keys too.
   */
  DEMO_ENABLED: booleanFlag.optional(),

  /** `npm run batch`: the API to submit to (default http://HOST:PORT) and the key to send. */
  SIGNOFF_API_URL: z.string().url().optional(),
  SIGNOFF_API_KEY: z.string().min(1).optional(),

  /** LangSmith, for `npm run evals:export -- --langsmith-dataset NAME` uploads. */
  LANGSMITH_API_KEY: z.string().min(1).optional(),
  LANGSMITH_ENDPOINT: z.string().url().optional(),

  /** Tests only: a real Postgres server to run the storage tests against as well. */
  TEST_DATABASE_URL: z.string().url().optional(),
  /** Tests only: the Chromium the browser tests drive (else the system one, else @sparticuz/chromium's). */
  CHROMIUM_PATH: z.string().min(1).optional(),
});

export type Env = z.infer<typeof envSchema>;

/** Rules across variables. */
function checkCombinations(env: Env): string[] {
  const problems: string[] = [];
  if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) {
    problems.push("  WEBHOOK_SECRET: required with WEBHOOK_URL (at least 16 characters)");
  }
  return problems;
}

export class EnvError extends Error {}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Treat empty strings as unset so `FOO= npm start` behaves like not setting FOO.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join("\n")}`);
  }
  const problems = checkCombinations(parsed.data);
  if (problems.length) throw new EnvError(`Invalid environment:\n${problems.join("\n")}`);
  return parsed.data;
}

export function readEnv(): Env {
  return parseEnv(process.env);
}
