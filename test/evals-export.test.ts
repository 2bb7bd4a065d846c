import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import { OpenModeGate } from "../src/auth/open-mode.js";
import type { Database } from "../src/db/database.js";
import { DEFAULT_SETTINGS } from "../src/graph/configuration.js";
import { editDiff, formatWordDiff, sidesOf, wordDiff } from "../src/evals/export-diff.js";
import type { ExportedExample } from "../src/evals/export-example.js";
import { normalizeQuestion, splitOf } from "../src/evals/export-questions.js";
import { splitRootCause } from "../src/evals/export-signal.js";
import { exportExamples, toJsonl } from "../src/evals/export.js";
import {
  exampleIdFor,
  uploadToLangSmith,
  type LangSmithDatasetClient,
} from "../src/evals/export-langsmith.js";
import { reopenable, testDatabases } from "./support/databases.js";
import { ask, decide, pendingReview, QUESTIONS } from "./support/flow.js";
import { createKeys, startHarness, type Harness } from "./support/harness.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The app, on loopback where open mode (no keys yet) is allowed. */
function exportApp(h: Harness) {
  return createAppFor(h.runtime, { openMode: new OpenModeGate(true) });
}

async function feedback(h: Harness, threadId: string, body: Record<string, unknown>) {
  const res = await h.call("POST", `/threads/${threadId}/feedback`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

const Q = {
  edited: QUESTIONS.highRisk,
  approved: "What is the usual adult dose of ibuprofen?",
  /** The approved question again, worded with other case, spacing and no question mark. */
  approvedAgain: "  what is the usual ADULT   dose of ibuprofen ",
  retrievalReject: QUESTIONS.unanswerable,
  respond: "Do you sell fishing rods?",
  userCorrection: "Is return shipping free for domestic orders?",
  userNegative: "Do gift cards expire?",
  later: "How long is the warranty on tents?",
};

describe.each(testDatabases)("evals export ($name)", (kind) => {
  let db: Database;
  let h: Harness;
  const threads: Record<string, string> = {};
  let editReview: Awaited<ReturnType<typeof pendingReview>>;
  let approvedReview: Awaited<ReturnType<typeof pendingReview>>;
  let rejectReview: Awaited<ReturnType<typeof pendingReview>>;
  let autoAnswer: string;
  let negativeAnswer: string;
  let examples: ExportedExample[];
  const byThread = (id: string | undefined) => examples.find((e) => e.metadata.thread_id === id);

  const EDIT = "Adults: do not take more than 4,000 mg of paracetamol in 24 hours.";
  const RESPOND = "No. Northwind Outfitters does not sell fishing equipment.";
  const CORRECTION =
    "Yes. Return shipping is free for domestic orders with the prepaid label from the Returns page.";

  beforeAll(async () => {
    db = await kind.open();
    h = await startHarness(db);

    // Answered on its own and nobody said anything: no human signal, not exported.
    const quiet = await ask(h, QUESTIONS.answerable);
    expect(quiet.provenance).toBe("auto");
    threads.quiet = quiet.thread_id;

    const edited = await ask(h, Q.edited);
    editReview = await pendingReview(h, edited);
    expect(editReview.stage).toBe("answer");
    await decide(h, editReview.review_id, {
      type: "edit",
      answer: EDIT,
      reasons: ["quoted the wrong sentence", "root_cause:unfaithful_generation"],
      comment: "state the 24-hour limit",
    });
    threads.edited = edited.thread_id;

    const approved = await ask(h, Q.approved);
    approvedReview = await pendingReview(h, approved);
    expect(approvedReview.stage).toBe("answer");
    await decide(h, approvedReview.review_id, { type: "approve" });
    threads.approved = approved.thread_id;

    const again = await ask(h, Q.approvedAgain);
    const againReview = await pendingReview(h, again);
    await decide(h, againReview.review_id, { type: "reject", reasons: ["needs a clinician"] });
    threads.approvedAgain = again.thread_id;

    const rejected = await ask(h, Q.retrievalReject);
    rejectReview = await pendingReview(h, rejected);
    expect(rejectReview.stage).toBe("retrieval");
    await decide(h, rejectReview.review_id, {
      type: "reject",
      reasons: ["out of scope", "root_cause:retrieval_miss"],
    });
    threads.retrievalReject = rejected.thread_id;

    const responded = await ask(h, Q.respond);
    const respondReview = await pendingReview(h, responded);
    expect(respondReview.stage).toBe("retrieval");
    const done = await decide(h, respondReview.review_id, { type: "respond", answer: RESPOND });
    expect(done.provenance).toBe("human");
    threads.respond = responded.thread_id;

    const corrected = await ask(h, Q.userCorrection);
    expect(corrected.provenance).toBe("auto");
    autoAnswer = corrected.answer!;
    await feedback(h, corrected.thread_id, {
      rating: 2,
      reasons: ["incomplete"],
      correction: CORRECTION,
    });
    threads.userCorrection = corrected.thread_id;

    const disliked = await ask(h, Q.userNegative);
    expect(disliked.provenance).toBe("auto");
    negativeAnswer = disliked.answer!;
    await feedback(h, disliked.thread_id, { rating: 1, reasons: ["incorrect"], comment: "wrong" });
    threads.userNegative = disliked.thread_id;

    ({ examples } = await exportExamples(db.pool));
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });

  it("exports one example per thread with human signal, duplicates removed", async () => {
    expect(examples.map((e) => e.metadata.thread_id)).toEqual([
      threads.edited,
      threads.approved,
      threads.retrievalReject,
      threads.respond,
      threads.userCorrection,
      threads.userNegative,
    ]);
    expect(byThread(threads.quiet)).toBeUndefined();
    // The same question rejected later loses to the approval (stronger signal) and is listed.
    expect(byThread(threads.approvedAgain)).toBeUndefined();
    expect(byThread(threads.approved)!.metadata.duplicate_thread_ids).toEqual([
      threads.approvedAgain,
    ]);
    const { stats } = await exportExamples(db.pool);
    expect(stats).toMatchObject({
      threads: 7,
      without_signal: 0,
      duplicates_removed: 1,
      examples: 6,
      by_label: { positive: 4, negative: 2 },
      by_source: { review: 4, user: 2, both: 0 },
    });
    expect(stats.by_split.train + stats.by_split.test).toBe(6);
  });

  it("an edit: reference is the edited answer, with the draft, the diff, trigger, passages and judge", () => {
    const e = byThread(threads.edited)!;
    const card = editReview.card;
    expect(e.inputs).toEqual({ question: Q.edited });
    expect(e.outputs).toEqual({ answer: EDIT });
    const m = e.metadata;
    expect(m).toMatchObject({
      label: "positive",
      signal: "edited",
      source: "review",
      provenance: "edited",
      risk_tier: "high",
      route: "answer_review",
      final_answer: EDIT,
      rejected_answer: null,
      root_cause: "unfaithful_generation",
      user_feedback: [],
      duplicate_thread_ids: [],
      answer_provider: expect.any(String),
    });
    expect(m.split).toBe(splitOf(Q.edited));
    expect(m.draft).toBe(card.draft!.text);
    expect(m.passages).toEqual(
      card.retrieval.passages.map((p) => ({ chunk_id: p.chunk_id, score: p.score })),
    );
    expect(m.passages.length).toBeGreaterThan(0);
    expect(m.trigger).toEqual(editReview.trigger);
    expect(m.trigger).toMatchObject({
      stage: "answer",
      risk_tier: "high",
      judge_threshold: 0.6,
      retrieval_threshold: 0.5,
    });
    expect(m.trigger!.judge_score).toBe(card.judge!.score);
    expect(m.judge).toMatchObject({ score: card.judge!.score, rationale: card.judge!.rationale });
    expect(m.decisions).toHaveLength(1);
    const d = m.decisions[0]!;
    expect(d).toMatchObject({
      review_id: editReview.review_id,
      stage: "answer",
      type: "edit",
      reasons: ["quoted the wrong sentence"],
      comment: "state the 24-hour limit",
      answer: EDIT,
      instructions: null,
      root_cause: "unfaithful_generation",
      reviewer: "anonymous",
      trigger: editReview.trigger,
    });
    expect(Date.parse(d.decided_at!)).toBeGreaterThanOrEqual(Date.parse(d.queued_at));
    expect(d.edit_diff).toBe(editDiff(card.draft!.text, EDIT));
    expect(d.edit_diff).toMatch(/\{\+.*\+\}/);
    expect(new Date(m.signal_at).toISOString()).toBe(d.decided_at);
    expect(m.completed_at).not.toBeNull();
  });

  it("an approval: the approved draft is the reference", () => {
    const e = byThread(threads.approved)!;
    expect(e.inputs).toEqual({ question: Q.approved });
    expect(e.outputs).toEqual({ answer: approvedReview.card.draft!.text });
    expect(e.metadata).toMatchObject({
      label: "positive",
      signal: "approved",
      provenance: "approved",
      route: "answer_review",
      draft: approvedReview.card.draft!.text,
      final_answer: approvedReview.card.draft!.text,
      root_cause: null,
      split: splitOf(Q.approved),
    });
    expect(e.metadata.decisions.map((d) => [d.type, d.reviewer, d.edit_diff])).toEqual([
      ["approve", "anonymous", null],
    ]);
    // The duplicate shares the question's split: duplicates never straddle train and test.
    expect(splitOf(Q.approvedAgain)).toBe(e.metadata.split);
  });

  it("a rejection at the retrieval stage is a negative example with its scores and root cause", () => {
    const e = byThread(threads.retrievalReject)!;
    expect(e.inputs).toEqual({ question: Q.retrievalReject });
    expect(e.outputs).toEqual({ answer: null });
    const m = e.metadata;
    expect(m).toMatchObject({
      label: "negative",
      signal: "review_reject",
      source: "review",
      provenance: "fallback",
      route: "retrieval_review",
      draft: null,
      judge: null,
      rejected_answer: null,
      final_answer: DEFAULT_SETTINGS.fallbackAnswer,
      root_cause: "retrieval_miss",
    });
    expect(m.trigger).toEqual(rejectReview.trigger);
    expect(m.trigger).toMatchObject({
      stage: "retrieval",
      judge_score: null,
      retrieval_threshold: 0.5,
    });
    expect(m.trigger!.retrieval_score).toBeLessThan(0.5);
    expect(m.passages).toEqual(
      rejectReview.card.retrieval.passages.map((p) => ({ chunk_id: p.chunk_id, score: p.score })),
    );
    expect(m.decisions).toMatchObject([
      {
        stage: "retrieval",
        type: "reject",
        reasons: ["out of scope"],
        root_cause: "retrieval_miss",
        reviewer: "anonymous",
        edit_diff: null,
      },
    ]);
  });

  it("a reviewer's own answer is the reference (provenance human)", () => {
    const e = byThread(threads.respond)!;
    expect(e.outputs).toEqual({ answer: RESPOND });
    expect(e.metadata).toMatchObject({
      label: "positive",
      signal: "human",
      route: "retrieval_review",
      final_answer: RESPOND,
      draft: null,
    });
    expect(e.metadata.decisions).toMatchObject([
      { stage: "retrieval", type: "respond", answer: RESPOND, edit_diff: null },
    ]);
  });

  it("a user's correction on an auto answer is the reference", () => {
    const e = byThread(threads.userCorrection)!;
    expect(e.inputs).toEqual({ question: Q.userCorrection });
    expect(e.outputs).toEqual({ answer: CORRECTION });
    const m = e.metadata;
    expect(m).toMatchObject({
      label: "positive",
      signal: "user_correction",
      source: "user",
      provenance: "auto",
      route: "auto",
      trigger: null,
      judge: null,
      draft: autoAnswer,
      final_answer: autoAnswer,
      decisions: [],
    });
    // Never reviewed: the passages are the answer's citations, without retrieval scores.
    expect(m.passages.length).toBeGreaterThan(0);
    expect(m.passages.every((p) => p.score === null && /^[0-9a-f-]{36}$/.test(p.chunk_id))).toBe(
      true,
    );
    expect(m.user_feedback).toMatchObject([
      {
        rating: 2,
        reasons: ["incomplete"],
        comment: null,
        correction: CORRECTION,
        user: "anonymous",
      },
    ]);
    expect(m.user_feedback[0]!.correction_diff).toBe(editDiff(autoAnswer, CORRECTION));
    expect(m.signal_at).toBe(m.user_feedback[0]!.at);
  });

  it("a low rating without a correction is a negative example of the answer the user saw", () => {
    const e = byThread(threads.userNegative)!;
    expect(e.outputs).toEqual({ answer: null });
    expect(e.metadata).toMatchObject({
      label: "negative",
      signal: "user_rejection",
      source: "user",
      rejected_answer: negativeAnswer,
      final_answer: negativeAnswer,
      user_feedback: [
        {
          rating: 1,
          reasons: ["incorrect"],
          comment: "wrong",
          correction: null,
          correction_diff: null,
        },
      ],
    });
  });

  it("keeps every example in its split across exports, and filters by split and time", async () => {
    const later = await ask(h, Q.later);
    await feedback(h, later.thread_id, { rating: 5, reasons: ["correct"] });
    const { examples: again } = await exportExamples(db.pool);
    expect(again).toHaveLength(examples.length + 1);
    const before = new Map(examples.map((e) => [e.metadata.thread_id, e.metadata.split]));
    for (const e of again) {
      expect(e.metadata.split).toBe(splitOf(e.inputs.question, 0.2));
      if (before.has(e.metadata.thread_id))
        expect(e.metadata.split).toBe(before.get(e.metadata.thread_id));
    }
    const endorsed = again.at(-1)!;
    expect(endorsed.metadata).toMatchObject({
      thread_id: later.thread_id,
      label: "positive",
      signal: "user_approval",
    });
    expect(endorsed.outputs.answer).toBe(later.answer);

    // Read in pages of two threads: the same examples.
    const paged: { threads: number }[] = [];
    const small = await exportExamples(db.pool, { batchSize: 2, onProgress: (p) => paged.push(p) });
    expect(small.examples).toEqual(again);
    expect(paged.map((p) => p.threads)).toEqual([2, 4, 6, 8]);

    expect(
      (await exportExamples(db.pool, { testShare: 0 })).examples.every(
        (e) => e.metadata.split === "train",
      ),
    ).toBe(true);
    expect(
      (await exportExamples(db.pool, { testShare: 1 })).examples.every(
        (e) => e.metadata.split === "test",
      ),
    ).toBe(true);
    const test = await exportExamples(db.pool, { split: "test" });
    expect(test.examples.map((e) => e.metadata.thread_id)).toEqual(
      again.filter((e) => e.metadata.split === "test").map((e) => e.metadata.thread_id),
    );
    expect(test.stats.other_split).toBe(again.length - test.examples.length);
    const recent = await exportExamples(db.pool, { since: new Date(endorsed.metadata.signal_at) });
    expect(recent.examples.map((e) => e.metadata.thread_id)).toEqual([later.thread_id]);
    examples = again;
  });

  it("GET /datasets/export streams the same lines as NDJSON", async () => {
    const app = exportApp(h);
    const res = await app.request("/datasets/export");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const body = await res.text();
    expect(body).toBe(examples.map(toJsonl).join(""));
    expect(
      body
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as ExportedExample),
    ).toEqual(examples);

    const test = await app.request("/datasets/export?split=test&test_share=0.5");
    const expected = (await exportExamples(db.pool, { split: "test", testShare: 0.5 })).examples
      .map(toJsonl)
      .join("");
    expect(await test.text()).toBe(expected);

    for (const bad of [
      "test_share=2",
      "test_share=abc",
      "split=dev",
      "since=yesterday",
      "limit=5",
    ]) {
      const refused = await app.request(`/datasets/export?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        "invalid_query",
      );
    }
    expect((await app.request("/datasets/export?since=2020-01-01")).status).toBe(200);
  });

  // Last: creating keys ends open mode for this database.
  it("GET /datasets/export is for reviewers and admins, not client keys", async () => {
    const {
      root: admin,
      rita: reviewer,
      app: client,
    } = await createKeys(h, {
      root: "admin",
      rita: "reviewer",
      app: "client",
    });
    const app = exportApp(h);
    expect((await app.request("/datasets/export")).status).toBe(401);
    const refused = await app.request("/datasets/export", { headers: client });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    const allowed = await app.request("/datasets/export", { headers: reviewer });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe(examples.map(toJsonl).join(""));
    expect((await app.request("/datasets/export", { headers: admin })).status).toBe(200);
  });
});

describe("evals:export CLI", () => {
  let dir: string;
  let store: Awaited<ReturnType<typeof reopenable>>;
  let expected: string;
  let dataDir: string;

  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(path.join(ROOT, "node_modules/.bin/tsx"), ["evals/export.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: "", LANGSMITH_API_KEY: "", LOG_LEVEL: "silent", ...env },
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "signoff-export-"));
    store = await reopenable("pglite");
    const db = await store.open();
    // DATA_DIR is the folder that holds pgdata/.
    dataDir = path.dirname(db.description.replace(/^pglite /, ""));
    const h = await startHarness(db);
    try {
      const review = await pendingReview(h, await ask(h, QUESTIONS.unanswerable));
      await decide(h, review.review_id, { type: "respond", answer: "Ulaanbaatar." });
      const auto = await ask(h, QUESTIONS.answerable);
      await feedback(h, auto.thread_id, {
        rating: 4,
        reasons: ["helpful"],
        correction: "Within 30 days of delivery.",
      });
      expected = (await exportExamples(db.pool)).examples.map(toJsonl).join("");
      expect(expected.split("\n")).toHaveLength(3);
    } finally {
      await h.close();
      await db.close();
    }
  });
  afterAll(async () => {
    await store?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes the same JSONL to a file and prints a summary", async () => {
    const out = path.join(dir, "examples.jsonl");
    const { stdout, stderr } = await cli(["--out", out], { DATA_DIR: dataDir });
    expect(await readFile(out, "utf8")).toBe(expected);
    expect(stdout).toContain("exported 2 examples (2 positive, 0 negative)");
    expect(stdout).toMatch(/split \d train \/ \d test; source 1 review, 1 user, 0 both/);
    expect(stderr).toContain("threads with feedback read");
    const piped = await cli(["--out", "-", "--test-share", "0.2"], { DATA_DIR: dataDir });
    expect(piped.stdout).toBe(expected);
    expect(piped.stderr).toContain("exported 2 examples");
  });

  it("checks its arguments, and refuses an upload without LANGSMITH_API_KEY", async () => {
    const help = await cli(["--help"]);
    expect(help.stdout).toContain("Usage: npm run evals:export -- --out FILE");
    const cases = [
      [[], "--out FILE is required"],
      [["--out", "x.jsonl", "--test-share", "1.5"], "--test-share must be a number from 0 to 1"],
      [["--out", "x.jsonl", "--since", "soon"], "--since must be an ISO 8601 date"],
      [["--out", "x.jsonl", "--langsmith-dataset", "signoff"], "needs LANGSMITH_API_KEY"],
    ] as const;
    const failures = await Promise.all(
      cases.map(([args]) =>
        cli([...args]).then(
          () => undefined,
          (error: { code: number; stderr: string }) => error,
        ),
      ),
    );
    cases.forEach(([args, message], i) => {
      expect(failures[i]?.code, args.join(" ")).toBe(2);
      expect(failures[i]?.stderr).toContain(message);
    });
  });
});

describe("word diff", () => {
  it.each([
    [
      "Adults: up to 4 g in 24 hours.",
      "Adults: at most 4,000 mg in 24 hours.",
      "Adults: [-up to 4 g-]{+at most 4,000 mg+} in 24 hours.",
    ],
    ["a b c", "a x y c", "a [-b-]{+x y+} c"],
    [
      "Returns within 30 days.",
      "Returns within 30 days of delivery.",
      "Returns within 30 days{+ of delivery+}.",
    ],
    ["Keep this sentence.", "", "[-Keep this sentence.-]"],
    ["", "New text.", "{+New text.+}"],
  ])("%j → %j", (before, after, formatted) => {
    const ops = wordDiff(before, after);
    expect(formatWordDiff(ops)).toBe(formatted);
    expect(sidesOf(ops)).toEqual({ before, after });
  });

  it("gives null for an unchanged text and survives long texts", () => {
    expect(editDiff("same", "same")).toBeNull();
    const long = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(" ");
    const changed = long.replace("w1500", "changed");
    expect(editDiff(long, changed)).toContain("[-w1500-]{+changed+}");
    const ops = wordDiff(long, [...long.split(" ")].reverse().join(" "));
    expect(sidesOf(ops)).toEqual({ before: long, after: [...long.split(" ")].reverse().join(" ") });
  });
});

describe("export helpers", () => {
  it("normalizes questions for deduplication", () => {
    expect(normalizeQuestion("  What is the usual ADULT   dose of ibuprofen?? ")).toBe(
      "what is the usual adult dose of ibuprofen",
    );
    expect(normalizeQuestion(Q.approvedAgain)).toBe(normalizeQuestion(Q.approved));
    expect(normalizeQuestion("¿Qué es esto?")).toBe("qué es esto");
  });

  it("splits by a hash of the normalized question", () => {
    const questions = Array.from({ length: 2000 }, (_, i) => `question number ${i}`);
    const test = questions.filter((q) => splitOf(q) === "test").length;
    expect(test / questions.length).toBeGreaterThan(0.17);
    expect(test / questions.length).toBeLessThan(0.23);
    expect(splitOf("Do gift cards expire?")).toBe(splitOf("do gift cards expire"));
    // A larger test share only moves questions from train to test, never back.
    for (const q of questions.slice(0, 200))
      if (splitOf(q, 0.2) === "test") expect(splitOf(q, 0.3)).toBe("test");
  });

  it("reads a root cause from the column or a root_cause: reason", () => {
    expect(splitRootCause(["wrong", "root_cause:judge_error"])).toEqual({
      rootCause: "judge_error",
      reasons: ["wrong"],
    });
    expect(splitRootCause(["Root cause: Retrieval miss"])).toEqual({
      rootCause: "retrieval_miss",
      reasons: [],
    });
    expect(splitRootCause(["root_cause:weather"])).toEqual({
      rootCause: null,
      reasons: ["root_cause:weather"],
    });
    expect(splitRootCause(["root_cause:policy"], "unfaithful_generation")).toEqual({
      rootCause: "unfaithful_generation",
      reasons: [],
    });
  });
});

describe("LangSmith upload", () => {
  function example(question: string, answer: string | null): ExportedExample {
    return {
      inputs: { question },
      outputs: { answer },
      metadata: {
        question_hash: normalizeQuestion(question),
        split: splitOf(question),
        label: answer ? "positive" : "negative",
      },
    } as ExportedExample;
  }

  function fakeClient() {
    const datasets = new Map<string, { id: string; name: string }>();
    const stored = new Map<string, Record<string, unknown>>();
    const calls: string[] = [];
    const client: LangSmithDatasetClient = {
      hasDataset: ({ datasetName }) => Promise.resolve(datasets.has(datasetName)),
      readDataset: ({ datasetName }) => Promise.resolve(datasets.get(datasetName)!),
      createDataset: (name) => {
        const dataset = { id: "0b6f1d8e-0000-4000-8000-000000000001", name };
        datasets.set(name, dataset);
        calls.push(`createDataset ${name}`);
        return Promise.resolve(dataset);
      },
      async *listExamples() {
        await Promise.resolve();
        for (const id of stored.keys()) yield { id };
      },
      createExamples: (uploads) => {
        calls.push(`createExamples ${uploads.length}`);
        for (const u of uploads) stored.set(u.id, u);
        return Promise.resolve([]);
      },
      updateExamples: (updates) => {
        calls.push(`updateExamples ${updates.length}`);
        for (const u of updates) stored.set(u.id, u);
        return Promise.resolve({});
      },
    };
    return { client, stored, calls };
  }

  it("creates the dataset, then updates the same examples on the next upload", async () => {
    const { client, stored, calls } = fakeClient();
    const first = [
      example("Do gift cards expire?", "No."),
      example("Who won?", null),
      example("Is it free?", "Yes."),
    ];
    const result = await uploadToLangSmith(first, { datasetName: "signoff", client, batchSize: 2 });
    expect(result).toEqual({
      dataset_id: "0b6f1d8e-0000-4000-8000-000000000001",
      dataset_created: true,
      created: 3,
      updated: 0,
    });
    expect(calls).toEqual(["createDataset signoff", "createExamples 2", "createExamples 1"]);
    const id = exampleIdFor(result.dataset_id, first[0]!);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stored.get(id)).toMatchObject({
      dataset_id: result.dataset_id,
      inputs: { question: "Do gift cards expire?" },
      outputs: { answer: "No." },
      split: splitOf("Do gift cards expire?"),
    });

    const second = await uploadToLangSmith(
      [example("Do gift cards expire?", "Never."), example("New?", "Yes.")],
      {
        datasetName: "signoff",
        client,
      },
    );
    expect(second).toMatchObject({ dataset_created: false, created: 1, updated: 1 });
    expect(stored.size).toBe(4);
    expect(stored.get(id)).toMatchObject({ outputs: { answer: "Never." } });
  });

  it("needs an API key without a client", async () => {
    await expect(uploadToLangSmith([], { datasetName: "x" })).rejects.toThrow(/LANGSMITH_API_KEY/);
  });
});
