import type { Queryable } from "../db/database.js";
import type { Env } from "../env.js";
import { createBedrockModels } from "./bedrock/index.js";
import { createOfflineProviders } from "./offline/index.js";
import { PostgresRetriever } from "./offline/postgres-retriever.js";
import type { Providers } from "./types.js";

/** Builds the configured provider; Bedrock checks its region and credentials here, at start-up. */
export async function createProviders(env: Env, db: Queryable): Promise<Providers> {
  if (env.MODEL_PROVIDER === "offline")
    return createOfflineProviders(db, env.OFFLINE_MODEL_LATENCY_MS);
  const { generator, judge } = await createBedrockModels({
    region: env.BEDROCK_REGION ?? env.AWS_DEFAULT_REGION,
    modelId: env.BEDROCK_MODEL_ID,
    judgeModelId: env.BEDROCK_JUDGE_MODEL_ID,
    endpointUrl: env.BEDROCK_ENDPOINT_URL,
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    sessionToken: env.AWS_SESSION_TOKEN,
    profile: env.AWS_PROFILE,
  });
  return { name: "bedrock", retriever: new PostgresRetriever(db), generator, judge };
}
