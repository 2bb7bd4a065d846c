import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import {
  createBedrockModels,
  ProviderConfigError,
  type BedrockSettings,
} from "../src/providers/bedrock/index.js";
import { GENERATOR_SYSTEM_PROMPT, JUDGE_SYSTEM_PROMPT } from "../src/providers/bedrock/prompts.js";
import type { Draft, Generator, Judge, Passage } from "../src/providers/types.js";
import { BedrockStandIn, systemText, userText } from "./support/bedrock-stand-in.js";

const evidence: Passage[] = [
  {
    chunk_id: "returns-1",
    document_id: "returns",
    title: "Return policy",
    text: "Unopened items can be returned within 30 days of delivery for a full refund.",
    score: 0.9,
  },
  {
    chunk_id: "returns-2",
    document_id: "returns",
    title: "Opened electronics",
    text: "Opened electronics can be returned within 15 days. A 10% restocking fee applies.",
    score: 0.8,
  },
  {
    chunk_id: "fees-1",
    document_id: "fees",
    title: "Fees",
    text: "The restocking fee is waived for defective items.",
    score: 0.4,
  },
];
const question = "Can I return opened electronics?";

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/;

/** Runs `fn` with every AWS_* variable removed and `vars` set, then restores the environment. */
async function withAwsEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.entries(process.env).filter(
    ([k]) => k.startsWith("AWS_") || k.startsWith("BEDROCK_"),
  );
  for (const [k] of saved) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) {
      if (k.startsWith("AWS_") || k.startsWith("BEDROCK_")) delete process.env[k];
    }
    for (const [k, v] of saved) process.env[k] = v;
  }
}

/** Resolves to the rejection of `promise` and how long it took to settle. */
async function rejectionOf(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const start = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - start };
  }
  throw new Error("expected the promise to reject, but it resolved");
}

let standIn: BedrockStandIn;
let settings: BedrockSettings;
let generator: Generator;
let judge: Judge;
let scratch: string;

beforeAll(async () => {
  standIn = await BedrockStandIn.start();
  settings = {
    region: "us-east-1",
    modelId: "test-model",
    endpointUrl: standIn.url,
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret",
  };
  ({ generator, judge } = await createBedrockModels(settings));
  scratch = await mkdtemp(join(tmpdir(), "signoff-bedrock-"));
});

afterAll(async () => {
  await standIn.close();
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(() => standIn.reset());

describe("BedrockGenerator through ChatBedrockConverse", () => {
  it("sends the question and numbered evidence to the model's converse path and parses citations", async () => {
    standIn.replyText(
      "Yes, opened electronics can be returned within 15 days [2]. A 10% restocking fee applies [2][3]. " +
        "Gift cards cannot be returned [7].",
    );

    const draft = await generator.generate({ question, evidence });

    expect(standIn.requests).toHaveLength(1);
    const req = standIn.lastRequest;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/model/test-model/converse");
    expect(req.modelId).toBe("test-model");
    expect(req.headers["content-type"]).toMatch(/^application\/json/);
    expect(req.headers.authorization).toMatch(SIGV4);
    expect(req.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);

    expect(systemText(req)).toBe(GENERATOR_SYSTEM_PROMPT);
    const user = userText(req);
    expect(user).toContain(`Question: ${question}`);
    expect(user).toContain("[1] Return policy\nUnopened items can be returned within 30 days");
    expect(user).toContain(
      "[2] Opened electronics\nOpened electronics can be returned within 15 days.",
    );
    expect(user).toContain("[3] Fees\nThe restocking fee is waived");
    expect(user).not.toContain("Reviewer instructions");
    expect(req.body.inferenceConfig).toMatchObject({ temperature: 0, maxTokens: 1024 });
    expect(req.body.toolConfig).toBeUndefined();

    expect(draft.provider).toBe("bedrock:test-model");
    expect(draft.text).toBe(
      "Yes, opened electronics can be returned within 15 days [2]. A 10% restocking fee applies [2][3]. " +
        "Gift cards cannot be returned [7].",
    );
    // [7] refers to no passage, so it is not a citation; [2] is listed once.
    expect(draft.citations).toEqual([
      { marker: 2, chunk_id: "returns-2", title: "Opened electronics" },
      { marker: 3, chunk_id: "fees-1", title: "Fees" },
    ]);
  });

  it("parses grouped markers like [1, 3] and returns no citations for an answer without markers", async () => {
    standIn.replyText("Unopened items have 30 days, and fees are waived for defects [1, 3].");
    standIn.replyText("I cannot answer that from the available information.");

    const grouped = await generator.generate({ question, evidence });
    const none = await generator.generate({ question, evidence });

    expect(grouped.citations.map((c) => c.chunk_id)).toEqual(["returns-1", "fees-1"]);
    expect(none.text).toBe("I cannot answer that from the available information.");
    expect(none.citations).toEqual([]);
  });

  it("sends the previous draft and the reviewer's revision instructions", async () => {
    standIn.replyText(
      "Opened electronics can be returned within 15 days with a 10% restocking fee [2].",
    );

    const draft = await generator.generate({
      question,
      evidence,
      previousDraft: "Yes, within 15 days [2].",
      instructions: "Mention the restocking fee and when it is waived.",
    });

    const user = userText(standIn.lastRequest);
    expect(user).toContain("Previous answer:\nYes, within 15 days [2].");
    expect(user).toContain(
      "Reviewer instructions:\nMention the restocking fee and when it is waived.",
    );
    expect(user.indexOf("Reviewer instructions")).toBeGreaterThan(user.indexOf("[3] Fees"));
    expect(draft.citations).toEqual([
      { marker: 2, chunk_id: "returns-2", title: "Opened electronics" },
    ]);
  });

  it("surfaces a Bedrock ValidationException as a rejection with its message, without retrying", async () => {
    standIn.replyError(400, "ValidationException", "The provided model identifier is invalid.");

    const { error } = await rejectionOf(generator.generate({ question, evidence }));

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("The provided model identifier is invalid.");
    expect((error as Error).name).toBe("ValidationException");
    expect(standIn.requests).toHaveLength(1);
  });

  it("retries a 503 at most twice, then rejects", async () => {
    for (let i = 0; i < 4; i++)
      standIn.replyError(503, "ServiceUnavailableException", "Bedrock is unavailable.");

    const { error, ms } = await rejectionOf(generator.generate({ question, evidence }));

    expect((error as Error).message).toBe("Bedrock is unavailable.");
    expect(standIn.requests).toHaveLength(3);
    expect(standIn.pending).toBe(1);
    expect(ms).toBeLessThan(5_000);
  });

  it("gives up on a reply slower than the request timeout", async () => {
    const { generator: impatient } = await createBedrockModels(settings, {
      requestTimeoutMs: 300,
      maxRetries: 0,
    });
    standIn.replyText("too late [1]", { delayMs: 3_000 });

    const { error, ms } = await rejectionOf(impatient.generate({ question, evidence }));

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("TimeoutError");
    expect((error as Error).message).toMatch(/no activity for 300 ms/);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2_000);
    expect(standIn.requests).toHaveLength(1);
  });
});

describe("BedrockJudge through ChatBedrockConverse", () => {
  const citedDraft: Draft = {
    text: "Opened electronics can be returned within 15 days [2].",
    citations: [{ marker: 2, chunk_id: "returns-2", title: "Opened electronics" }],
    provider: "bedrock:test-model",
  };

  it("requests the grade_answer tool and returns the structured grade with the geometric-mean score", async () => {
    standIn.replyToolUse("grade_answer", {
      groundedness: 0.9,
      coverage: 0.4,
      flags: [],
      rationale: "  Supported by passage 2, but the fee is not mentioned. ",
    });

    const judgment = await judge.judge({ question, evidence, draft: citedDraft });

    expect(judgment).toEqual({
      score: 0.6,
      groundedness: 0.9,
      coverage: 0.4,
      flags: [],
      rationale: "Supported by passage 2, but the fee is not mentioned.",
      provider: "bedrock:test-model",
    });

    const req = standIn.lastRequest;
    expect(req.path).toBe("/model/test-model/converse");
    expect(req.headers.authorization).toMatch(SIGV4);
    expect(systemText(req)).toBe(JUDGE_SYSTEM_PROMPT);
    const user = userText(req);
    expect(user).toContain(`Question: ${question}`);
    expect(user).toContain("[2] Opened electronics");
    expect(user).toContain(
      "Answer to grade:\nOpened electronics can be returned within 15 days [2].",
    );

    const tools = req.body.toolConfig?.tools ?? [];
    expect(tools).toHaveLength(1);
    const spec = tools[0]?.toolSpec;
    expect(spec?.name).toBe("grade_answer");
    const schema = spec?.inputSchema?.json as {
      properties: Record<
        string,
        { type?: string; minimum?: number; maximum?: number; items?: { enum?: string[] } }
      >;
      required: string[];
    };
    expect(Object.keys(schema.properties).sort()).toEqual([
      "coverage",
      "flags",
      "groundedness",
      "rationale",
    ]);
    expect(schema.required.sort()).toEqual(["coverage", "flags", "groundedness", "rationale"]);
    expect(schema.properties.groundedness).toMatchObject({
      type: "number",
      minimum: 0,
      maximum: 1,
    });
    expect(schema.properties.flags?.items?.enum?.sort()).toEqual([
      "answer_type_missing",
      "focus_missing",
      "heading_quoted",
      "missing_citations",
      "no_answer",
      "off_topic",
      "unknown_citation",
      "unknown_subject",
      "unsupported_claims",
    ]);
    expect(req.body.inferenceConfig?.temperature).toBe(0);
  });

  it("keeps the model's flags and adds unknown_citation and missing_citations from the draft", async () => {
    standIn.replyToolUse("grade_answer", {
      groundedness: 0.5,
      coverage: 0.8,
      flags: ["unsupported_claims"],
      rationale: "Cites a passage that was not given.",
    });
    const draft: Draft = {
      text: "Gift cards cannot be returned [5].",
      citations: [],
      provider: "bedrock:test-model",
    };

    const judgment = await judge.judge({ question, evidence, draft });

    expect(judgment.flags).toEqual(["missing_citations", "unknown_citation", "unsupported_claims"]);
    expect(judgment.score).toBe(0.632);
  });

  it("flags an out-of-range marker even when other citations are valid, and does not duplicate model flags", async () => {
    standIn.replyToolUse("grade_answer", {
      groundedness: 1,
      coverage: 1,
      flags: ["unknown_citation", "off_topic"],
      rationale: "Marker 4 does not exist.",
    });
    const draft: Draft = {
      text: "Returns within 15 days [2], fee waived for defects [4].",
      citations: [{ marker: 2, chunk_id: "returns-2", title: "Opened electronics" }],
      provider: "bedrock:test-model",
    };

    const judgment = await judge.judge({ question, evidence, draft });

    expect(judgment.flags).toEqual(["unknown_citation", "off_topic"]);
    expect(judgment.score).toBe(1);
  });

  it("rejects a grade outside the schema instead of passing it on", async () => {
    standIn.replyToolUse("grade_answer", {
      groundedness: 1.5,
      coverage: 0.5,
      flags: ["made_up"],
      rationale: "x",
    });

    const { error } = await rejectionOf(judge.judge({ question, evidence, draft: citedDraft }));

    expect((error as Error).message).toMatch(/invalid grade_answer result: .*groundedness/);
    expect((error as Error).message).toMatch(/flags\.0/);
  });

  it("rejects when the model answers with text instead of calling the tool", async () => {
    standIn.replyText("The answer looks fine to me.");

    const { error } = await rejectionOf(judge.judge({ question, evidence, draft: citedDraft }));

    expect((error as Error).message).toMatch(/No tool calls found/);
  });

  it("uses the judge model id, and forces the tool on models that support tool choice", async () => {
    const judgeModelId = "anthropic.claude-3-5-haiku-20241022-v1:0";
    const models = await createBedrockModels({ ...settings, judgeModelId });
    standIn.replyToolUse("grade_answer", {
      groundedness: 0.64,
      coverage: 1,
      flags: [],
      rationale: "Fine.",
    });
    standIn.replyText("Within 15 days [2].");

    const judgment = await models.judge.judge({ question, evidence, draft: citedDraft });
    const draft = await models.generator.generate({ question, evidence });

    expect(judgment.provider).toBe(`bedrock:${judgeModelId}`);
    expect(judgment.score).toBe(0.8);
    expect(draft.provider).toBe("bedrock:test-model");
    const [judgeReq, genReq] = standIn.requests;
    expect(judgeReq?.modelId).toBe(judgeModelId);
    expect(judgeReq?.path).toBe(`/model/${encodeURIComponent(judgeModelId)}/converse`);
    expect(judgeReq?.body.toolConfig?.toolChoice).toEqual({ tool: { name: "grade_answer" } });
    expect(genReq?.modelId).toBe("test-model");
  });
});

describe("createBedrockModels configuration", () => {
  const base = { modelId: "test-model", endpointUrl: "http://127.0.0.1:9" };

  it("rejects without a region, naming BEDROCK_REGION and AWS_DEFAULT_REGION", async () => {
    for (const region of [undefined, "", "  "]) {
      const { error } = await rejectionOf(
        createBedrockModels({
          ...base,
          region,
          accessKeyId: "AKIDEXAMPLE",
          secretAccessKey: "secret",
        }),
      );
      expect(error).toBeInstanceOf(ProviderConfigError);
      expect((error as Error).message).toBe(
        "MODEL_PROVIDER=bedrock needs a region: set BEDROCK_REGION or AWS_DEFAULT_REGION",
      );
    }
  });

  it("rejects half a key pair, naming the missing variable", async () => {
    const { error } = await rejectionOf(
      createBedrockModels({ ...base, region: "us-east-1", accessKeyId: "AKIDEXAMPLE" }),
    );
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect((error as Error).message).toContain(
      "has AWS_ACCESS_KEY_ID but not AWS_SECRET_ACCESS_KEY",
    );
  });

  it("rejects an endpoint that is not an http(s) URL", async () => {
    const { error } = await rejectionOf(
      createBedrockModels({
        ...base,
        region: "us-east-1",
        endpointUrl: "not a url",
        accessKeyId: "a",
        secretAccessKey: "b",
      }),
    );
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect((error as Error).message).toContain("BEDROCK_ENDPOINT_URL");
  });

  it("rejects quickly when no credentials can be found, naming the variables to set", async () => {
    const missing = join(scratch, "missing");
    const env = {
      AWS_CONFIG_FILE: join(missing, "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(missing, "credentials"),
      AWS_EC2_METADATA_DISABLED: "true",
    };
    await withAwsEnv(env, async () => {
      for (const profile of [undefined, "signoff-test-no-such-profile"]) {
        const { error, ms } = await rejectionOf(
          createBedrockModels({ ...base, region: "us-east-1", profile }),
        );
        expect(error).toBeInstanceOf(ProviderConfigError);
        const message = (error as Error).message;
        expect(message).toContain("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        expect(message).toContain("AWS_PROFILE");
        if (profile) expect(message).toContain(`profile "${profile}"`);
        expect(ms).toBeLessThan(5_000);
      }
    });
  });

  it("resolves a profile through the default chain once and signs requests with its credentials", async () => {
    const script = join(scratch, "creds.sh");
    await writeFile(
      script,
      `#!/bin/sh\necho '{"Version": 1, "AccessKeyId": "AKIDFROMPROFILE", "SecretAccessKey": "profile-secret"}'\n`,
    );
    await chmod(script, 0o755);
    const config = join(scratch, "config-ok");
    await writeFile(config, `[profile signoff-test]\ncredential_process = ${script}\n`);

    await withAwsEnv(
      {
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: join(scratch, "none"),
        AWS_EC2_METADATA_DISABLED: "true",
      },
      async () => {
        const models = await createBedrockModels({
          region: "eu-west-1",
          modelId: "test-model",
          endpointUrl: standIn.url,
          profile: "signoff-test",
        });
        standIn.replyText("Within 15 days [2].");
        const draft = await models.generator.generate({ question, evidence });
        expect(draft.citations).toHaveLength(1);
      },
    );
    expect(standIn.lastRequest.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFROMPROFILE\/\d{8}\/eu-west-1\/bedrock\/aws4_request,/,
    );
  });

  it("gives up on a credential source that hangs after about 3 seconds", async () => {
    const script = join(scratch, "slow-creds.sh");
    await writeFile(
      script,
      `#!/bin/sh\nsleep 6\necho '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "B"}'\n`,
    );
    await chmod(script, 0o755);
    const config = join(scratch, "config-slow");
    await writeFile(config, `[profile slow]\ncredential_process = ${script}\n`);

    await withAwsEnv(
      {
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: join(scratch, "none"),
        AWS_EC2_METADATA_DISABLED: "true",
      },
      async () => {
        const { error, ms } = await rejectionOf(
          createBedrockModels({ ...base, region: "us-east-1", profile: "slow" }),
        );
        expect(error).toBeInstanceOf(ProviderConfigError);
        expect((error as Error).message).toContain(
          "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        );
        expect((error as Error).message).toContain("gave no answer within 3000 ms");
        expect(ms).toBeGreaterThanOrEqual(2_900);
        expect(ms).toBeLessThan(5_000);
      },
    );
  }, 10_000);

  it("never reads process.env in the provider's source", async () => {
    const dir = new URL("../src/providers/bedrock/", import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith(".ts"));
    expect(files).toEqual(
      expect.arrayContaining(["generator.ts", "index.ts", "judge.ts", "prompts.ts"]),
    );
    for (const file of files) {
      expect(await readFile(new URL(file, dir), "utf8"), file).not.toMatch(/process\.env/);
    }
  });
});
