/**
 * The graph LangGraph Studio and the LangGraph CLI dev server load (see langgraph.json).
 *
 * The CLI imports this module in its own process, so it builds its own dependencies here: its
 * own database (DATABASE_URL, or an embedded PGlite under `<DATA_DIR>/studio`, because PGlite
 * can only be opened by one process and the API server may hold `<DATA_DIR>`), migrated and
 * seeded, and the providers and policy the API server would use. The server swaps in its own
 * checkpointer and store on the graph object it loads, so this module compiles a graph of its
 * own rather than sharing one with src/runtime.ts.
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
import { compileGraph, type SignoffGraph } from "./graph.js";
import { loadPolicy } from "./load-policy.js";

type StreamIterator = SignoffGraph["_streamIterator"];
type WithConfig = SignoffGraph["withConfig"];

/**
 * Makes every run of `graph` see the live dependencies as its runtime `context`.
 *
 * `graph.withConfig({ context })` is not enough under the dev server: it passes each run's own
 * context (an object, `{}` when the caller sent none) to `streamEvents`, and Pregel lets a
 * call's `context` replace the bound one instead of merging it, so nodes would see `{}`. Every
 * entry point (invoke, stream, streamEvents v2/v3) runs through `_streamIterator`, so the
 * dependencies are merged in there. They win over same-named keys of the run's context, which
 * is JSON from a client and cannot hold providers; per-run threshold overrides go in
 * `configurable`, as everywhere else. `withConfig` builds a fresh instance without own
 * properties, so it is wrapped to bind the copy too.
 */
export function bindContext(graph: SignoffGraph, context: GraphContext): SignoffGraph {
  const proto = Object.getPrototypeOf(graph) as SignoffGraph;
  graph._streamIterator = function (this: SignoffGraph, input, options) {
    const runContext = (options?.context ?? {}) as Record<string, unknown>;
    const merged = { ...options, context: { ...runContext, ...context } };
    return proto._streamIterator.call(this, input, merged);
  } as StreamIterator;
  graph.withConfig = function (this: SignoffGraph, config: Parameters<WithConfig>[0]) {
    return bindContext(proto.withConfig.call(this, config), context);
  } as WithConfig;
  return graph;
}

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

const context: GraphContext = {
  providers: await createProviders(env, db.pool),
  policy: await loadPolicy(env.POLICY_FILE),
  settings: settingsFromEnv(env),
};

export const graph = bindContext(compileGraph(), context);
