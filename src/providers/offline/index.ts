import type { Queryable } from "../../db/database.js";
import type { Providers } from "../types.js";
import { ExtractiveGenerator } from "./extractive-generator.js";
import { PostgresVocabulary } from "./corpus-vocabulary.js";
import { LexicalJudge } from "./lexical-judge.js";
import { PostgresRetriever } from "./postgres-retriever.js";
import { withSimulatedLatency } from "./simulated-latency.js";

/**
 * The default provider: no network, deterministic. `latencyMs` waits before each generate and
 * judge call, as a hosted model would (OFFLINE_MODEL_LATENCY_MS).
 */
export function createOfflineProviders(db: Queryable, latencyMs = 0): Providers {
  return {
    name: "offline",
    retriever: new PostgresRetriever(db),
    generator: withSimulatedLatency(new ExtractiveGenerator(), latencyMs),
    judge: withSimulatedLatency(new LexicalJudge(new PostgresVocabulary(db)), latencyMs),
  };
}
