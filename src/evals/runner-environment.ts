import { openDatabase, type Database } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import type { Env } from "../env.js";
import type { GraphContext } from "../graph/configuration.js";
import { loadPolicy } from "../graph/load-policy.js";
import { ingestDirectory } from "../knowledge/seed.js";
import { SAMPLE_KB_DIR } from "../knowledge/files.js";
import { createProviders } from "../providers/index.js";
import type { Judge } from "../providers/types.js";
import { settingsFromEnv } from "../runtime.js";

/** What the runner needs, built from the parsed environment, plus how to tear it down. */
export interface EvalEnvironment {
  context: GraphContext;
  /** The judge that grades drafts against reference answers; only with a model provider. */
  referenceJudge?: Judge;
  /** e.g. "offline, knowledge base kb/sample (12 documents, 40 chunks)". */
  description: string;
  close(): Promise<void>;
}

export interface EvalEnvironmentOptions {
  env: Env;
  /** Knowledge base directories to ingest; the bundled sample knowledge base by default. */
  kbDirs?: string[];
}

/**
 * A throwaway in-memory PGlite database with the knowledge base ingested, the configured
 * providers (offline unless MODEL_PROVIDER=bedrock), the guard policy (POLICY_FILE or built-in)
 * and the deployment's settings (thresholds, top-k, revision limit, audit rate) from the
 * environment. Nothing is read from or written to the service's own database.
 */
export async function openEvalEnvironment(
  options: EvalEnvironmentOptions,
): Promise<EvalEnvironment> {
  const { env } = options;
  const db: Database = await openDatabase({});
  try {
    await migrate(db.pool);
    let documents = 0;
    let chunks = 0;
    for (const dir of options.kbDirs ?? [SAMPLE_KB_DIR]) {
      for (const result of await ingestDirectory(db.pool, dir)) {
        documents++;
        chunks += result.chunks;
      }
    }
    const providers = await createProviders(env, db.pool);
    const policy = await loadPolicy(env.POLICY_FILE);
    const kb = options.kbDirs ? options.kbDirs.join(", ") : "the sample knowledge base";
    return {
      context: { providers, policy, settings: settingsFromEnv(env) },
      referenceJudge: env.MODEL_PROVIDER === "offline" ? undefined : providers.judge,
      description: `${providers.name} providers, ${kb} (${documents} documents, ${chunks} chunks) in memory`,
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
