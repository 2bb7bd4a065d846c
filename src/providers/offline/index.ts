import type { Queryable } from "../../db/database.js";
import type { Providers } from "../types.js";
import { ExtractiveGenerator } from "./extractive-generator.js";
import { LexicalJudge } from "./lexical-judge.js";
import { PostgresRetriever } from "./postgres-retriever.js";

/** The default provider: no network, deterministic. */
export function createOfflineProviders(db: Queryable): Providers {
  return {
    name: "offline",
    retriever: new PostgresRetriever(db),
    generator: new ExtractiveGenerator(),
    judge: new LexicalJudge(),
  };
}
