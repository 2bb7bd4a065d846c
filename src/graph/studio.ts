/**
 * The graph LangGraph Studio and the LangGraph CLI dev server load (see langgraph.json).
 *
 * The CLI imports this module in its own process, so it builds its own dependencies here: its
 * own database (DATABASE_URL, or an embedded PGlite under `<DATA_DIR>/studio`, because PGlite
 * can only be opened by one process and the API server may hold `<DATA_DIR>`), migrated and
 * seeded, and the providers and policy the API server would use. The server swaps in its own
 * checkpointer and store on the graph object it loads, so this module compiles a graph of its
 * own rather than sharing one with src/runtime.ts. The dev server passes each run only the JSON
 * context its client sent (Studio's context form, from the graph's context schema), so this
 * module binds its providers, policy and settings to the graph it compiles (./host-context.ts):
 * every node sees them under the run's own context.
 */
import path from "node:path";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { readEnv } from "../env.js";
import { seedSampleKnowledgeBase } from "../knowledge/seed.js";
import { createLogger } from "../logger.js";
import { createProviders } from "../providers/index.js";
import { settingsFromEnv } from "../runtime.js";
import type { GraphContext } from "./configuration.js";
import { compileGraph } from "./graph.js";
import { loadPolicy } from "./load-policy.js";

const env = readEnv();
const logger = createLogger(env.LOG_LEVEL, { component: "studio" });
const db = await openDatabase({
  url: env.DATABASE_URL,
  poolSize: env.DATABASE_POOL_SIZE,
  dataDir: env.DATABASE_URL ? undefined : path.join(env.DATA_DIR, "studio"),
});
const { applied } = await migrate(db.pool);
logger.info({ database: db.description, applied }, "studio database ready");
if (env.SEED_SAMPLE_KB) await seedSampleKnowledgeBase(db.pool, logger);

const host: GraphContext = {
  providers: await createProviders(env, db.pool),
  policy: await loadPolicy(env.POLICY_FILE),
  settings: settingsFromEnv(env),
};

export const graph = compileGraph(undefined, host);
