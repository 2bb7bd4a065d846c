import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { openDatabase, type Database } from "./db/database.js";
import { migrate } from "./db/migrate.js";
import type { Env } from "./env.js";
import type { GraphContext, GraphSettings } from "./graph/configuration.js";
import { compileGraph, type SignoffGraph } from "./graph/graph.js";
import { loadPolicy } from "./graph/load-policy.js";
import { seedSampleKnowledgeBase } from "./knowledge/seed.js";
import type { Logger } from "./logger.js";
import { createProviders } from "./providers/index.js";
import type { Providers } from "./providers/types.js";
import { executeRun } from "./runs/executor.js";
import { RunSignals } from "./runs/thread-events.js";
import { Worker } from "./runs/worker.js";

/** Everything a process needs, built once: the composition root. */
export interface Runtime {
  env: Env;
  logger: Logger;
  db: Database;
  graph: SignoffGraph;
  context: GraphContext;
  signals: RunSignals;
  /** Present when this process runs workers. */
  worker?: Worker;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  env: Env;
  logger: Logger;
  /** An open database (tests); otherwise opened from the environment. */
  database?: Database;
  /** Providers to use instead of the configured ones (tests inject fakes). */
  providers?: Providers;
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

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { env, logger } = options;
  const db =
    options.database ??
    (await openDatabase({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, dataDir: env.DATA_DIR }));
  try {
    const { applied } = await migrate(db.pool);
    logger.info({ database: db.description, applied }, "database ready");
    if (env.SEED_SAMPLE_KB) await seedSampleKnowledgeBase(db.pool, logger);
    const policy = await loadPolicy(env.POLICY_FILE);
    const providers = options.providers ?? (await createProviders(env, db.pool));
    const graph = compileGraph(new PostgresSaver(db.pool));
    const context: GraphContext = { providers, policy, settings: settingsFromEnv(env) };
    const signals = new RunSignals();
    const worker = options.startWorker
      ? new Worker({
          pool: db.pool,
          logger,
          signals,
          concurrency: env.WORKER_CONCURRENCY,
          leaseSeconds: env.RUN_LEASE_SECONDS,
          execute: (run, signal) => executeRun({ pool: db.pool, graph, context }, run, signal),
        })
      : undefined;
    worker?.start();
    return {
      env,
      logger,
      db,
      graph,
      context,
      signals,
      worker,
      async close() {
        await worker?.stop();
        if (!options.database) await db.close();
      },
    };
  } catch (error) {
    if (!options.database) await db.close().catch(() => undefined);
    throw error;
  }
}
