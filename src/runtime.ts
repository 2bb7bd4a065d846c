import { openDatabase, type Database } from "./db/database.js";
import { isDatabaseUnavailable } from "./db/errors.js";
import { migrate } from "./db/migrate.js";
import { OneStatementSaver } from "./db/one-statement-saver.js";
import { listenerConnection, NotificationListener } from "./db/notifications.js";
import type { Env } from "./env.js";
import type { GraphContext, GraphSettings } from "./graph/configuration.js";
import { compileGraph, type SignoffGraph } from "./graph/graph.js";
import { loadPolicy } from "./graph/load-policy.js";
import { seedSampleKnowledgeBase } from "./knowledge/seed.js";
import type { Logger } from "./logger.js";
import { createProviders } from "./providers/index.js";
import type { Providers } from "./providers/types.js";
import { executeRun, type ExecutorDeps } from "./runs/executor.js";
import { loadReviewPolicy, type ReviewPolicy } from "./services/review-policy.js";
import { emitNothing, emitToOutbox, type EmitEvent } from "./webhooks/emit.js";
import { RunSignals } from "./runs/thread-events.js";
import { Worker } from "./runs/worker.js";
import { Sweeper } from "./runs/sweeper.js";
import { retentionPolicyFromEnv } from "./runs/retention.js";
import type { ReviewServiceDeps } from "./services/reviews.js";
import { WebhookDeliverer } from "./webhooks/deliverer.js";
import { ActiveThresholds } from "./runs/active-thresholds.js";
import type { ThresholdServiceDeps } from "./services/thresholds.js";
import { ActivePrompts } from "./runs/active-prompts.js";
import { SEED_DATASET_FILE } from "./prompts/dry-run.js";
import { seedBuiltInPrompts, type PromptServiceDeps } from "./services/prompts.js";

/** Everything a process needs, built once: the composition root. */
export interface Runtime {
  env: Env;
  logger: Logger;
  db: Database;
  graph: SignoffGraph;
  context: GraphContext;
  signals: RunSignals;
  /**
   * Raises other processes' work as `signals` (LISTEN/NOTIFY); real Postgres only. PGlite serves
   * one process, whose own signals cover everything, over its pool's single connection.
   */
  notifications?: NotificationListener;
  reviewPolicy: ReviewPolicy;
  emit: EmitEvent;
  executorDeps: ExecutorDeps;
  /** What the review services need; the API and the sweeper share it. */
  reviewDeps: ReviewServiceDeps;
  /** The live loop's services: threshold versions and the live rate (the API and the CLI). */
  thresholdDeps: ThresholdServiceDeps;
  /** Prompt template versions: proposals, dry runs, decisions (the API). */
  promptDeps: PromptServiceDeps;
  /** Present when this process runs workers (with them the review sweeper and webhook deliverer). */
  worker?: Worker;
  sweeper?: Sweeper;
  deliverer?: WebhookDeliverer;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  env: Env;
  logger: Logger;
  /** An open database (tests); otherwise opened from the environment. */
  database?: Database;
  /** Providers to use instead of the configured ones (tests inject fakes). */
  providers?: Providers;
  /** The review workflow's clock (SLA deadlines, claims); tests pass one they can move. */
  now?: () => Date;
  startWorker: boolean;
}

export function settingsFromEnv(env: Env): Partial<GraphSettings> {
  return {
    retrievalThreshold: env.RETRIEVAL_THRESHOLD,
    judgeThreshold: env.JUDGE_THRESHOLD,
    topK: env.RETRIEVAL_TOP_K,
    revisionLimit: env.REVISION_LIMIT,
    auditSampleRate: env.AUDIT_SAMPLE_RATE,
  };
}

/**
 * Runs `work` (the start-up migration) until the database answers: a server started before its
 * database, or during a restart of it, waits and says so instead of exiting. A host name that
 * does not resolve counts as "not yet" too (in a cluster the database's name often appears after
 * the app), so a mistyped host waits, logging ENOTFOUND on every try. Anything else (bad
 * credentials, no such database, a failed migration) fails at once.
 */
async function untilDatabaseAnswers<T>(work: () => Promise<T>, logger: Logger): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      const delayMs = Math.min(10_000, 250 * 2 ** Math.min(attempt - 1, 6));
      logger.warn({ err: error, attempt, retry_in_ms: delayMs }, "waiting for the database");
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { env, logger } = options;
  const db =
    options.database ??
    (await openDatabase({
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      dataDir: env.DATA_DIR,
      onConnectionError: (err) => logger.warn({ err }, "database connection lost"),
    }));
  try {
    const { applied } = await untilDatabaseAnswers(() => migrate(db.pool), logger);
    logger.info({ database: db.description, applied }, "database ready");
    if (env.SEED_SAMPLE_KB) await seedSampleKnowledgeBase(db.pool, logger);
    const seeded = await seedBuiltInPrompts(db.pool);
    if (seeded.length) {
      logger.info({ templates: seeded.map((r) => r.template) }, "seeded the built-in prompts");
    }
    const policy = await loadPolicy(env.POLICY_FILE);
    const providers = options.providers ?? (await createProviders(env, db.pool));
    // The stock tables, each checkpoint and write batch in one statement.
    const graph = compileGraph(new OneStatementSaver(db.pool));
    const context: GraphContext = { providers, policy, settings: settingsFromEnv(env) };
    // Embedded PGlite serves this process alone, so its own signals are every change there is.
    const signals = new RunSignals({ coversAllProcesses: db.kind !== "postgres" });
    const reviewPolicy = await loadReviewPolicy(env.REVIEW_POLICY_FILE);
    const emit = env.WEBHOOK_URL ? emitToOutbox : emitNothing;
    const defaultThresholds = { retrieval: env.RETRIEVAL_THRESHOLD, judge: env.JUDGE_THRESHOLD };
    const thresholds = new ActiveThresholds({
      db: db.pool,
      defaults: defaultThresholds,
      ttlMs: env.THRESHOLDS_CACHE_SECONDS * 1000,
      signals,
    });
    const thresholdDeps: ThresholdServiceDeps = {
      pool: db.pool,
      signals,
      defaults: defaultThresholds,
    };
    const prompts = new ActivePrompts({
      db: db.pool,
      ttlMs: env.PROMPTS_CACHE_SECONDS * 1000,
      signals,
    });
    const promptDeps: PromptServiceDeps = {
      pool: db.pool,
      signals,
      context,
      thresholds: async () => (await thresholds.current()).thresholds,
      dryRun: {
        dataset: env.PROMPT_DRY_RUN_DATASET ?? SEED_DATASET_FILE,
        sample: env.PROMPT_DRY_RUN_SAMPLE,
      },
    };
    const executorDeps: ExecutorDeps = {
      pool: db.pool,
      graph,
      context,
      reviewPolicy,
      emit,
      signals,
      durability: env.CHECKPOINT_DURABILITY,
      thresholds,
      prompts,
    };
    const worker = options.startWorker
      ? new Worker({
          pool: db.pool,
          logger,
          signals,
          concurrency: env.WORKER_CONCURRENCY,
          batchConcurrency: env.WORKER_BATCH_CONCURRENCY,
          leaseSeconds: env.RUN_LEASE_SECONDS,
          execute: (run, signal) => executeRun(executorDeps, run, signal),
        })
      : undefined;
    const reviewDeps: ReviewServiceDeps = {
      pool: db.pool,
      signals,
      maxAttempts: env.RUN_MAX_ATTEMPTS,
      reviewPolicy,
      emit,
      claimLeaseSeconds: env.CLAIM_LEASE_SECONDS,
      now: options.now ?? (() => new Date()),
      localWorker: worker,
    };
    const sweeper = options.startWorker
      ? new Sweeper(reviewDeps, logger, env.SWEEP_INTERVAL_SECONDS * 1000, {
          policy: retentionPolicyFromEnv(env),
          intervalMs: env.RETENTION_INTERVAL_SECONDS * 1000,
        })
      : undefined;
    const deliverer =
      options.startWorker && env.WEBHOOK_URL && env.WEBHOOK_SECRET
        ? new WebhookDeliverer({
            pool: db.pool,
            logger,
            url: env.WEBHOOK_URL,
            secret: env.WEBHOOK_SECRET,
            maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
          })
        : undefined;
    const notifications =
      db.kind === "postgres"
        ? new NotificationListener({ connection: listenerConnection(db.pool), signals, logger })
        : undefined;
    // Listening before the worker starts: no enqueue after this point goes unnoticed.
    await notifications?.start();
    worker?.start();
    sweeper?.start();
    deliverer?.start();
    return {
      env,
      logger,
      db,
      graph,
      context,
      signals,
      notifications,
      reviewPolicy,
      emit,
      executorDeps,
      reviewDeps,
      thresholdDeps,
      promptDeps,
      worker,
      sweeper,
      deliverer,
      async close() {
        await Promise.all([worker?.stop(), sweeper?.stop(), deliverer?.stop()]);
        await notifications?.stop();
        thresholds.close();
        prompts.close();
        if (!options.database) await db.close();
      },
    };
  } catch (error) {
    if (!options.database) await db.close().catch(() => undefined);
    throw error;
  }
}
