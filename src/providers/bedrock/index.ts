import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
} from "@aws-sdk/client-bedrock-runtime";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { ChatBedrockConverse } from "@langchain/aws";

import type { Generator, Judge } from "../types.js";
import { BedrockGenerator } from "./generator.js";
import { BedrockJudge } from "./judge.js";

export { BedrockGenerator } from "./generator.js";
export { BedrockJudge } from "./judge.js";

/**
 * Everything the Bedrock provider needs, as parsed by src/env.ts (this module never looks at
 * the environment itself): BEDROCK_REGION or AWS_DEFAULT_REGION, BEDROCK_MODEL_ID, BEDROCK_JUDGE_MODEL_ID,
 * BEDROCK_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE.
 */
export interface BedrockSettings {
  region?: string;
  modelId: string;
  /** Model of the judge; the generator's model when absent. */
  judgeModelId?: string;
  /** Overrides the Bedrock runtime endpoint (a VPC endpoint, or a local stand-in in tests). */
  endpointUrl?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Shared-config profile for the default credential chain (used when no keys are given). */
  profile?: string;
}

/** Tuning knobs with production defaults; tests may shorten them. */
export interface BedrockTuning {
  /** How long start-up waits for the default credential chain. Default 3000 ms. */
  credentialTimeoutMs?: number;
  /**
   * How long one Converse request may go without any sign of life (connecting, waiting for the
   * reply) before it fails with a TimeoutError. Default 60000 ms.
   */
  requestTimeoutMs?: number;
  /** Retries of throttled or failed (5xx, network) requests after the first attempt. Default 2. */
  maxRetries?: number;
  /** Upper bound on tokens per reply. Default 1024. */
  maxTokens?: number;
}

/** The Bedrock provider is misconfigured; the message says which variable to set. */
export class ProviderConfigError extends Error {
  override readonly name = "ProviderConfigError";
}

type Credentials = NonNullable<BedrockRuntimeClientConfig["credentials"]>;

const DEFAULTS = {
  credentialTimeoutMs: 3_000,
  requestTimeoutMs: 60_000,
  maxRetries: 2,
  maxTokens: 1_024,
} satisfies Required<BedrockTuning>;

const NO_CREDENTIALS =
  "MODEL_PROVIDER=bedrock found no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
  "(plus AWS_SESSION_TOKEN for temporary credentials), or set AWS_PROFILE to a configured profile";

/** Rejects with `onTimeout()` when `promise` has not settled within `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  // The losing promise may still reject later; keep that from becoming an unhandled rejection.
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Explicit keys when given; otherwise the AWS default chain (profile, SSO, web identity,
 * credential_process, container, instance role), resolved once here so a missing or broken
 * setup fails at start-up instead of on the first question. The memoized provider is returned
 * (not the resolved keys) so temporary credentials are refreshed when they near expiry.
 */
async function resolveCredentials(
  settings: BedrockSettings,
  region: string,
  timeoutMs: number,
): Promise<Credentials> {
  const { accessKeyId, secretAccessKey, sessionToken, profile } = settings;
  if (accessKeyId && secretAccessKey) {
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  if (accessKeyId || secretAccessKey) {
    const [present, missing] = accessKeyId
      ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
      : ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"];
    throw new ProviderConfigError(
      `MODEL_PROVIDER=bedrock has ${present} but not ${missing}: set both, ` +
        "or unset both to use AWS_PROFILE or the default AWS credential chain",
    );
  }

  const where = profile ? ` (profile "${profile}")` : "";
  const provider = defaultProvider({
    ...(profile ? { profile } : {}),
    // Region for the STS/SSO clients some profiles need; bounded IMDS probing.
    clientConfig: { region },
    timeout: 1_000,
    maxRetries: 0,
  });
  try {
    await withTimeout(
      provider(),
      timeoutMs,
      () =>
        new ProviderConfigError(
          `${NO_CREDENTIALS}; the default AWS credential chain${where} gave no answer within ${timeoutMs} ms`,
        ),
    );
  } catch (error) {
    if (error instanceof ProviderConfigError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProviderConfigError(
      `${NO_CREDENTIALS}; the default AWS credential chain${where} failed: ${reason}`,
      {
        cause: error,
      },
    );
  }
  return provider;
}

function parseEndpoint(endpointUrl: string): string {
  let url: URL;
  try {
    url = new URL(endpointUrl);
  } catch {
    throw new ProviderConfigError(`BEDROCK_ENDPOINT_URL is not a valid URL: ${endpointUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ProviderConfigError(
      `BEDROCK_ENDPOINT_URL must be an http(s) URL, got ${endpointUrl}`,
    );
  }
  return url.toString().replace(/\/$/, "");
}

/**
 * Builds the Bedrock generator and judge. Fails fast with a ProviderConfigError when the region,
 * model id or credentials are missing; resolves credentials once (within ~3 s) before returning.
 */
export async function createBedrockModels(
  settings: BedrockSettings,
  tuning: BedrockTuning = {},
): Promise<{ generator: Generator; judge: Judge }> {
  const opts = { ...DEFAULTS, ...tuning };
  const region = settings.region?.trim();
  if (!region) {
    throw new ProviderConfigError(
      "MODEL_PROVIDER=bedrock needs a region: set BEDROCK_REGION or AWS_DEFAULT_REGION",
    );
  }
  const modelId = settings.modelId?.trim();
  if (!modelId) {
    throw new ProviderConfigError("MODEL_PROVIDER=bedrock needs a model id: set BEDROCK_MODEL_ID");
  }
  const judgeModelId = settings.judgeModelId?.trim() || modelId;
  const endpoint = settings.endpointUrl ? parseEndpoint(settings.endpointUrl) : undefined;
  const credentials = await resolveCredentials(settings, region, opts.credentialTimeoutMs);

  // Our own client rather than ChatBedrockConverse's: its constructor spreads
  // `endpoint: undefined` over `clientOptions` (dropping an endpoint given there) and switches to
  // bearer-token auth when AWS_BEARER_TOKEN_BEDROCK happens to be set. One client serves both models.
  const client = new BedrockRuntimeClient({
    region,
    credentials,
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: opts.maxRetries + 1,
    // Options for the SDK's default handler for this client, NodeHttp2Handler: a new HTTP/2
    // session per request (the SDK's own default), and a stream that stays silent for
    // requestTimeoutMs (no connection, no reply) fails with a TimeoutError.
    requestHandler: {
      requestTimeout: opts.requestTimeoutMs,
      disableConcurrentStreams: true,
    },
  });

  const chatModel = (model: string) =>
    new ChatBedrockConverse({
      model,
      region,
      credentials,
      client,
      temperature: 0,
      maxTokens: opts.maxTokens,
      maxRetries: opts.maxRetries,
      streaming: false,
    });

  return {
    generator: new BedrockGenerator(chatModel(modelId), modelId),
    judge: new BedrockJudge(chatModel(judgeModelId), judgeModelId),
  };
}
