import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { threadResponse } from "../src/api/schemas.js";
import { exportExamples } from "../src/evals/export.js";
import { createLogger } from "../src/logger.js";
import {
  parseGeneratorTemplate,
  parseJudgeTemplate,
  PromptTemplateError,
} from "../src/prompts/template.js";
import { formatDryRun } from "../src/prompts/dry-run.js";
import { createBedrockModels } from "../src/providers/bedrock/index.js";
import { GENERATOR_SYSTEM_PROMPT, JUDGE_SYSTEM_PROMPT } from "../src/providers/bedrock/prompts.js";
import { ExtractiveGenerator } from "../src/providers/offline/extractive-generator.js";
import { LexicalJudge } from "../src/providers/offline/lexical-judge.js";
import { PostgresRetriever } from "../src/providers/offline/postgres-retriever.js";
import type { Passage, Providers } from "../src/providers/types.js";
import { createRuntime } from "../src/runtime.js";
import { approvePrompt, proposePrompt } from "../src/services/prompts.js";
import { BedrockStandIn, systemText } from "./support/bedrock-stand-in.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { createKeys, testEnv, useHarness, type Harness } from "./support/harness.js";
import { listen } from "./support/http.js";
import { until } from "./support/until.js";

type Headers = Record<string, string>;

const PASSAGES: Passage[] = [
  {
    chunk_id: "c1",
    document_id: "d1",
    title: "Returns Policy",
    text: "Unused items can be returned within 30 days of delivery. Return shipping is free for domestic orders. Refunds for returned items are issued within 5 days.",
    score: 0.9,
  },
];
const RETURNS =
  "Can unused items be returned, is shipping free for domestic orders, and when are refunds issued?";

/** Asks as `who` and waits until the thread pauses or finishes. */
async function ask(h: Harness, who: Headers, question: string = QUESTIONS.answerable) {
  const res = await h.call("POST", "/threads?wait=20", { question }, who);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const thread = threadResponse.parse(res.body);
  expect(["completed", "awaiting_review"]).toContain(thread.status);
  return thread;
}

/** The prompt versions each run of the thread recorded, oldest run first. */
async function runPrompts(h: Harness, threadId: string) {
  const { rows } = await h.db.pool.query<{
    generator: string | null;
    judge: string | null;
  }>(
    `SELECT generator_prompt_version_id AS generator, judge_prompt_version_id AS judge
     FROM runs WHERE thread_id = $1 ORDER BY created_at`,
    [threadId],
  );
  return rows;
}

async function propose(h: Harness, who: Headers, template: string, body: string) {
  const res = await h.call("POST", "/prompts/proposals", { template, body }, who);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { version_id: string; version: number; status: string };
}

describe("prompt templates", () => {
  it("split into a model's system prompt and the offline providers' directives", () => {
    const generator = parseGeneratorTemplate(
      "Answer briefly.\noffline.max_sentences: 2\n  offline.citations: off\nCite passages.",
    );
    expect(generator).toEqual({
      system: "Answer briefly.\nCite passages.",
      maxSentences: 2,
      citations: false,
    });
    expect(parseGeneratorTemplate(GENERATOR_SYSTEM_PROMPT)).toEqual({
      system: GENERATOR_SYSTEM_PROMPT,
      maxSentences: 3,
      citations: true,
    });
    expect(parseJudgeTemplate("Grade it.\noffline.ignore_flags: focus_missing, off_topic")).toEqual(
      { system: "Grade it.", ignoreFlags: ["focus_missing", "off_topic"] },
    );
  });

  it("refuse unknown directives, bad values and a text without prose, naming every problem", () => {
    const problems = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(PromptTemplateError);
        return (error as PromptTemplateError).problems;
      }
      throw new Error("expected a PromptTemplateError");
    };
    expect(
      problems(() =>
        parseGeneratorTemplate("Hi.\noffline.max_sentences: 0\noffline.ignore_flags: x"),
      ),
    ).toEqual([
      expect.stringContaining("has no directive offline.ignore_flags"),
      expect.stringContaining("offline.max_sentences must be a whole number from 1 to 10"),
    ]);
    expect(problems(() => parseJudgeTemplate("offline.ignore_flags: no_such_flag"))).toEqual([
      expect.stringContaining("no text for a model"),
      expect.stringContaining('"no_such_flag" is not a judge flag'),
    ]);
  });

  it("steer the offline generator and judge through their directives", async () => {
    const generator = new ExtractiveGenerator();
    const full = await generator.generate({ question: RETURNS, evidence: PASSAGES });
    expect(full.text).toBe(
      "Return shipping is free for domestic orders. [1] Refunds for returned items are issued within 5 days. [1]",
    );
    const one = await generator.generate({
      question: RETURNS,
      evidence: PASSAGES,
      prompt: parseGeneratorTemplate("x\noffline.max_sentences: 1"),
    });
    expect(one.text).toBe("Return shipping is free for domestic orders. [1]");
    const bare = await generator.generate({
      question: RETURNS,
      evidence: PASSAGES,
      prompt: parseGeneratorTemplate("x\noffline.citations: off"),
    });
    expect([bare.text, bare.citations]).toEqual([
      "Return shipping is free for domestic orders. Refunds for returned items are issued within 5 days.",
      [],
    ]);

    const judge = new LexicalJudge();
    const strict = await judge.judge({ question: RETURNS, evidence: PASSAGES, draft: bare });
    expect(strict.flags).toContain("missing_citations");
    const lenient = await judge.judge({
      question: RETURNS,
      evidence: PASSAGES,
      draft: bare,
      prompt: parseJudgeTemplate("x\noffline.ignore_flags: missing_citations, unsupported_claims"),
    });
    expect(lenient.flags).not.toContain("missing_citations");
    expect(lenient.flags).not.toContain("unsupported_claims");
    // Flags change; the score is the same measurement.
    expect(lenient.score).toBe(strict.score);
  });
});

describe.each(testDatabases)("prompt versions through the API ($name)", (kind) => {
  const h = useHarness(kind);
  let keys: Record<"ops" | "rita" | "carl", Headers>;
  let v1: { generator: string; judge: string };

  it("seeds version 1 of each template from the built-in text, and runs record it", async () => {
    keys = await createKeys(h, { ops: "admin", rita: "reviewer", carl: "client" });
    const list = await h.call("GET", "/prompts", undefined, keys.rita);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.active.generator).toMatchObject({
      version: 1,
      status: "active",
      body: GENERATOR_SYSTEM_PROMPT,
      decided_by: "system:built-in",
    });
    expect(list.body.active.judge).toMatchObject({ version: 1, body: JUDGE_SYSTEM_PROMPT });
    v1 = {
      generator: list.body.active.generator.version_id as string,
      judge: list.body.active.judge.version_id as string,
    };
    const thread = await ask(h, keys.carl);
    expect(thread.provenance).toBe("auto");
    expect(await runPrompts(h, thread.thread_id)).toEqual([v1]);
  });

  it("lets reviewers propose and dry-run, only admins decide, and refuses bad input with 4xx", async () => {
    const body = "Answer from the passages.\noffline.max_sentences: 1";
    const denied = await h.call(
      "POST",
      "/prompts/proposals",
      { template: "generator", body },
      keys.carl,
    );
    expect(denied.status).toBe(403);
    expect((await h.call("GET", "/prompts", undefined, keys.carl)).status).toBe(403);

    const bad = await h.call(
      "POST",
      "/prompts/proposals",
      { template: "generator", body: "Answer.\noffline.max_sentence: 1" },
      keys.rita,
    );
    expect([bad.status, bad.body.error.code]).toEqual([422, "invalid_template"]);
    expect(bad.body.error.details.problems[0]).toContain("no directive offline.max_sentence");
    const same = await h.call(
      "POST",
      "/prompts/proposals",
      { template: "judge", body: JUDGE_SYSTEM_PROMPT },
      keys.rita,
    );
    expect([same.status, same.body.error.code]).toEqual([422, "template_unchanged"]);
    const unknown = await h.call(
      "POST",
      "/prompts/proposals",
      { template: "router", body },
      keys.rita,
    );
    expect(unknown.status).toBe(422);

    const proposal = await propose(h, keys.rita, "generator", body);
    expect(proposal).toMatchObject({ version: 2, status: "proposed" });
    const approve = `/prompts/${proposal.version_id}/approve`;
    expect((await h.call("POST", approve, {}, keys.rita)).status).toBe(403);
    const noReason = await h.call("POST", `/prompts/${proposal.version_id}/reject`, {}, keys.ops);
    expect(noReason.status).toBe(422);
    expect((await h.call("GET", "/prompts/not-a-uuid", undefined, keys.rita)).status).toBe(400);
    const missing = await h.call(
      "GET",
      "/prompts/3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41",
      undefined,
      keys.rita,
    );
    expect(missing.status).toBe(404);

    // Repeated with the same Idempotency-Key: the first proposal, not a second one.
    const again = async () =>
      h.call(
        "POST",
        "/prompts/proposals",
        { template: "judge", body: "Grade strictly.\noffline.ignore_flags: focus_missing" },
        { ...keys.rita, "idempotency-key": "judge-lenient" },
      );
    const first = await again();
    const second = await again();
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.version_id).toBe(first.body.version_id);
  });

  it("shows a proposal's diff against the active version, and its dry run's metrics before and after", async () => {
    const body = `${GENERATOR_SYSTEM_PROMPT}\noffline.citations: off`;
    const proposal = await propose(h, keys.rita, "generator", body);
    const detail = await h.call("GET", `/prompts/${proposal.version_id}`, undefined, keys.rita);
    expect(detail.status).toBe(200);
    expect(detail.body.active_version).toBe(1);
    expect(detail.body.diff).toContain("--- generator v1 (active)");
    expect(detail.body.diff).toContain(`+++ generator v${proposal.version} (proposed)`);
    expect(detail.body.diff).toContain("\n+offline.citations: off\n");

    const res = await h.call(
      "POST",
      `/prompts/${proposal.version_id}/dry-run`,
      { sample: 8 },
      keys.rita,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const dry = res.body.dry_run;
    expect(dry.case_ids).toHaveLength(8);
    expect(dry.provider).toBe("offline");
    expect(dry.active_versions).toEqual({ generator: 1, judge: 1 });
    // Without citation markers the judge flags every draft, so nothing is answered unreviewed.
    expect(dry.before.auto_answer_rate).toBeGreaterThan(0);
    expect(dry.after.auto_answer_rate).toBe(0);
    expect(dry.after.leak_rate).toBe(0);
    const autoBefore = (
      dry.changed as {
        before: { route: string };
        after: { route: string; judge_flags: string[] };
      }[]
    ).filter((c) => c.before.route === "auto");
    expect(autoBefore.length).toBe(Math.round(dry.before.auto_answer_rate * 8));
    for (const c of autoBefore) {
      expect(c.after.route).toBe("answer_review");
      expect(c.after.judge_flags).toContain("missing_citations");
    }
    expect(formatDryRun(dry)).toMatch(/answered unreviewed\s+\d\.\d{3}\s+0\.000 {2}\*/);

    // Stored with the proposal, and in its audit trail.
    const after = await h.call("GET", `/prompts/${proposal.version_id}`, undefined, keys.ops);
    expect(after.body.version.dry_run.after).toEqual(dry.after);
    expect(after.body.events.map((e: { type: string }) => e.type)).toEqual(["proposed", "dry_run"]);
  });

  it("never runs a rejected version: the run uses the active one, and it cannot be approved or dry-run after", async () => {
    const proposal = await propose(h, keys.rita, "generator", "Short.\noffline.citations: off");
    const rejected = await h.call(
      "POST",
      `/prompts/${proposal.version_id}/reject`,
      { comment: "answers must cite" },
      keys.ops,
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body.version).toMatchObject({
      status: "rejected",
      decided_by: "ops",
      decision_comment: "answers must cite",
    });
    const thread = await ask(h, keys.carl);
    // The rejected text would have left the answer without markers and sent it to review.
    expect(thread.provenance).toBe("auto");
    expect(thread.answer).toMatch(/\[1\]/);
    expect(await runPrompts(h, thread.thread_id)).toEqual([v1]);

    const late = await h.call("POST", `/prompts/${proposal.version_id}/approve`, {}, keys.ops);
    expect([late.status, late.body.error.code]).toEqual([409, "prompt_version_decided"]);
    const dry = await h.call("POST", `/prompts/${proposal.version_id}/dry-run`, {}, keys.ops);
    expect([dry.status, dry.body.error.code]).toEqual([409, "prompt_version_decided"]);
    const events = await h.call("GET", `/prompts/${proposal.version_id}`, undefined, keys.ops);
    expect(
      events.body.events.map((e: { type: string; actor: string }) => [e.type, e.actor]),
    ).toEqual([
      ["proposed", "rita"],
      ["rejected", "ops"],
    ]);
  });

  it("runs an approved version from the next run on, records it, and the eval export carries it", async () => {
    const proposal = await propose(h, keys.rita, "generator", "Be brief.\noffline.citations: off");
    const approved = await h.call(
      "POST",
      `/prompts/${proposal.version_id}/approve`,
      { comment: "try it" },
      keys.ops,
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      changed: true,
      version: { status: "active", decided_by: "ops" },
      superseded: { version: 1, status: "superseded" },
    });
    const repeat = await h.call("POST", `/prompts/${proposal.version_id}/approve`, {}, keys.ops);
    expect(repeat.body.changed).toBe(false);

    const thread = await ask(h, keys.carl);
    expect(thread.status).toBe("awaiting_review"); // no markers: the judge flags the draft
    expect(await runPrompts(h, thread.thread_id)).toEqual([
      { generator: proposal.version_id, judge: v1.judge },
    ]);
    const review = thread.reviews.find((r) => r.status === "pending")!;
    const decided = await h.call(
      "POST",
      `/reviews/${review.review_id}/decision?wait=20`,
      { type: "approve" },
      keys.rita,
    );
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);

    const { examples } = await exportExamples(h.db.pool);
    const example = examples.find((e) => e.metadata.thread_id === thread.thread_id);
    expect(example?.metadata.prompt_versions).toEqual([
      { template: "generator", version: proposal.version, version_id: proposal.version_id },
      { template: "judge", version: 1, version_id: v1.judge },
    ]);
    // The gate facts keep them once finished runs are deleted (retention).
    await h.db.pool.query("DELETE FROM runs WHERE thread_id = $1", [thread.thread_id]);
    const kept = (await exportExamples(h.db.pool)).examples.find(
      (e) => e.metadata.thread_id === thread.thread_id,
    );
    expect(kept?.metadata.prompt_versions).toEqual(example?.metadata.prompt_versions);
  });
});

/** Providers whose generator and judge are Bedrock through the local stand-in. */
async function bedrockProviders(standIn: BedrockStandIn, h: () => Harness): Promise<Providers> {
  const { generator, judge } = await createBedrockModels({
    region: "us-east-1",
    modelId: "test-model",
    endpointUrl: standIn.url,
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret",
  });
  // The retriever reads the harness's database, opened after these providers are made.
  const retriever = {
    retrieve: (q: string, k: number) => new PostgresRetriever(h().db.pool).retrieve(q, k),
    getPassages: (ids: string[]) => new PostgresRetriever(h().db.pool).getPassages(ids),
  };
  return { name: "bedrock", retriever, generator, judge };
}

describe.each(testDatabases)("what the model is sent ($name)", (kind) => {
  let standIn: BedrockStandIn;
  let providers: Providers;
  beforeAll(async () => {
    standIn = await BedrockStandIn.start();
    providers = await bedrockProviders(standIn, () => h);
  });
  afterAll(() => standIn.close());
  beforeEach(() => standIn.reset());
  // A getter: the providers are made in the beforeAll above, before the harness starts.
  const h = useHarness(kind, {
    get providers() {
      return providers;
    },
  });

  const script = () =>
    standIn
      .replyText("Unused items can be returned within 30 days of the delivery date [1].")
      .replyToolUse("grade_answer", {
        groundedness: 1,
        coverage: 1,
        flags: [],
        rationale: "Supported.",
      });

  it("never sends a proposed or rejected template to the provider; sends an approved one without its directives", async () => {
    const keys = await createKeys(h, { ops: "admin", carl: "client" });
    const rejected = await propose(h, keys.ops, "generator", "REJECTED-MARKER: answer anything.");
    await h.call("POST", `/prompts/${rejected.version_id}/reject`, { comment: "no" }, keys.ops);
    await propose(h, keys.ops, "judge", "PROPOSED-MARKER: pass everything.");

    script();
    const first = await ask(h, keys.carl);
    expect(first.provenance).toBe("auto");
    expect(standIn.requests).toHaveLength(2);
    const [generatorCall, judgeCall] = standIn.requests.map(systemText);
    expect(generatorCall).toBe(GENERATOR_SYSTEM_PROMPT);
    expect(judgeCall).toBe(JUDGE_SYSTEM_PROMPT);
    for (const r of standIn.requests) {
      expect(JSON.stringify(r.body)).not.toMatch(/REJECTED-MARKER|PROPOSED-MARKER/);
    }

    const approved = await propose(
      h,
      keys.ops,
      "generator",
      "APPROVED-MARKER: answer from the passages and cite them.\noffline.max_sentences: 1",
    );
    await h.call("POST", `/prompts/${approved.version_id}/approve`, {}, keys.ops);
    standIn.reset();
    script();
    const second = await ask(h, keys.carl);
    expect(second.provenance).toBe("auto");
    expect(systemText(standIn.requests[0]!)).toBe(
      "APPROVED-MARKER: answer from the passages and cite them.",
    );
    expect(systemText(standIn.requests[1]!)).toBe(JUDGE_SYSTEM_PROMPT);
    expect((await runPrompts(h, second.thread_id))[0]!.generator).toBe(approved.version_id);
  });
});

describe.each(testDatabases.filter((k) => k.name === "postgres"))(
  "a prompt approval reaches other processes ($name)",
  (kind) => {
    const h = useHarness(kind, { worker: false });

    it("invalidates another runtime's cached templates through NOTIFY", async () => {
      const other = await createRuntime({
        env: testEnv({ PROMPTS_CACHE_SECONDS: "3600" }),
        logger: createLogger("silent"),
        database: h.db,
        startWorker: false,
      });
      try {
        const cache = other.executorDeps.prompts!;
        expect((await cache.current()).versions.judge.version).toBe(1);
        const deps = h.runtime.promptDeps;
        const { version } = await proposePrompt(
          deps,
          { template: "judge", body: "Grade.\noffline.ignore_flags: focus_missing" },
          { name: "ops" },
        );
        await approvePrompt(deps, version.version_id, { name: "ops" });
        await until(
          async () => (await cache.current()).versions.judge.version_id === version.version_id,
          "the other runtime to read the approved version",
        );
        expect((await cache.current()).prompts.judge.ignoreFlags).toEqual(["focus_missing"]);
      } finally {
        await other.close();
      }
    });
  },
);

/** Each CLI call starts tsx (seconds on a loaded machine): a bound on the test, not a measurement. */
const CLI_TIMEOUT_MS = 180_000;

/** `npm run prompts -- ARGS` as a child process. */
function promptsCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/prompts.ts", ...args],
      { cwd: process.cwd(), env: { PATH: process.env.PATH } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.each(testDatabases.filter((k) => k.name === "pglite"))(
  "npm run prompts ($name)",
  (kind) => {
    const h = useHarness(kind);
    let server: Awaited<ReturnType<typeof listen>>;
    let dir: string;
    let admin: string[];
    let reviewer: string[];

    beforeAll(async () => {
      server = await listen(h);
      dir = await mkdtemp(path.join(tmpdir(), "signoff-prompts-cli-"));
      const keys = await createKeys(h, { ops: "admin", rita: "reviewer" });
      const key = (headers: Headers) => headers.authorization!.replace("Bearer ", "");
      admin = ["--api", server.url, "--key", key(keys.ops)];
      reviewer = ["--api", server.url, "--key", key(keys.rita)];
    });
    afterAll(async () => {
      await server?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it(
      "explains itself and refuses bad arguments before calling the server",
      async () => {
        const help = await promptsCli(["--help"]);
        expect(help.code).toBe(0);
        expect(help.stdout).toContain("npm run prompts -- propose TEMPLATE --file FILE");
        expect(help.stdout).toContain("offline.max_sentences");
        expect((await promptsCli([])).code).toBe(2);
        expect((await promptsCli(["propose", "router", "--file", "x"])).code).toBe(2);
        const noReason = await promptsCli(["reject", "generator:1", ...admin]);
        expect([noReason.code, noReason.stderr]).toEqual([
          2,
          expect.stringContaining("reject needs --comment"),
        ]);
      },
      CLI_TIMEOUT_MS,
    );

    it(
      "proposes from a file, shows the diff, dry-runs, and an admin approves",
      async () => {
        const file = path.join(dir, "generator.txt");
        await writeFile(file, `${GENERATOR_SYSTEM_PROMPT}\noffline.max_sentences: 1\n`);
        const proposed = await promptsCli(["propose", "generator", "--file", file, ...reviewer]);
        expect(proposed.stdout).toContain("proposed generator v2");

        const shown = await promptsCli(["show", "generator:2", ...reviewer]);
        expect(shown.code, shown.stderr).toBe(0);
        expect(shown.stdout).toContain("+offline.max_sentences: 1");

        const dry = await promptsCli(["dry-run", "generator:2", "--sample", "4", ...reviewer]);
        expect(dry.code, dry.stderr).toBe(0);
        expect(dry.stdout).toMatch(/dry run over 4 cases of .*seed\.jsonl \(offline/);
        expect(dry.stdout).toContain("answered unreviewed");

        // Roles are the API's (tested above); the admin's key approves.
        const approved = await promptsCli(["approve", "generator:2", ...admin]);
        expect(approved.stdout).toContain(
          "generator v2 is active; runs starting now use it (v1 superseded)",
        );
      },
      CLI_TIMEOUT_MS,
    );
  },
);
