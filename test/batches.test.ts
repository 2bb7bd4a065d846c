import { describe, expect, it } from "vitest";
import { batchResponse, batchResultLine, batchSubmitResponse } from "../src/api/schemas.js";
import { claimRun, LANES, type RunRow } from "../src/repositories/runs.js";
import { testDatabases } from "./support/databases.js";
import { createKeys, useHarness, type Harness } from "./support/harness.js";
import { decide, pendingReview, QUESTIONS } from "./support/flow.js";
import { until } from "./support/until.js";

const NDJSON = { "content-type": "application/x-ndjson" };

const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join("\n");

async function count(h: Harness, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await h.db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);
}

/** The batch's results stream, one parsed line each. */
async function results(h: Harness, batchId: string, query = "", headers = {}) {
  const res = await h.app.request(`/batches/${batchId}/results${query}`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
  const text = await res.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => batchResultLine.parse(JSON.parse(line)));
}

describe.each(testDatabases)("batches: submission and scheduling ($name)", (kind) => {
  // No worker: what is queued stays queued, so counts and claim order are exact.
  const h = useHarness(kind, { worker: false, env: { BATCH_MAX_ITEMS: "50" } });

  it("creates a batch from JSON: one thread and one batch-lane run per question, in one request", async () => {
    const res = await h.call("POST", "/batches", {
      questions: [
        { question: QUESTIONS.answerable, id: "faq-1", metadata: { source: "faq" } },
        { question: QUESTIONS.highRisk },
        { question: QUESTIONS.unanswerable, id: 7 },
      ],
      priority: 70,
      metadata: { campaign: "spring" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const batch = batchSubmitResponse.parse(res.body);
    expect(batch).toMatchObject({
      priority: 70,
      metadata: { campaign: "spring" },
      total: 3,
      submitted: 3,
      started: 3,
      settled: false,
      counts: { queued: 3, running: 0, awaiting_review: 0, completed: 0, failed: 0 },
    });
    const { rows } = await h.db.pool.query<{
      item_key: string;
      item_ordinal: number;
      metadata: Record<string, unknown>;
      lane: number;
      priority: number;
    }>(
      `SELECT t.item_key, t.item_ordinal, t.metadata, r.lane, r.priority FROM threads t
       JOIN runs r USING (thread_id) WHERE t.batch_id = $1 ORDER BY t.item_ordinal`,
      [batch.batch_id],
    );
    expect(rows).toEqual([
      { item_key: "faq-1", item_ordinal: 1, metadata: { source: "faq" }, lane: 1, priority: 70 },
      { item_key: "2", item_ordinal: 2, metadata: {}, lane: 1, priority: 70 },
      { item_key: "7", item_ordinal: 3, metadata: {}, lane: 1, priority: 70 },
    ]);
  });

  it("creates a batch from NDJSON: keys are line numbers (blank lines counted), settings from the query", async () => {
    const body = `${JSON.stringify({ question: QUESTIONS.answerable })}\n\n${JSON.stringify({
      question: QUESTIONS.highRisk,
    })}\r\n`;
    const metadata = encodeURIComponent(JSON.stringify({ run: "nightly" }));
    const res = await h.call("POST", `/batches?priority=5&metadata=${metadata}`, body, NDJSON);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const batch = batchSubmitResponse.parse(res.body);
    expect(batch).toMatchObject({ priority: 5, metadata: { run: "nightly" }, total: 2 });
    const { rows } = await h.db.pool.query<{ item_key: string; question: string }>(
      "SELECT item_key, question FROM threads WHERE batch_id = $1 ORDER BY item_ordinal",
      [batch.batch_id],
    );
    expect(rows).toEqual([
      { item_key: "1", question: QUESTIONS.answerable },
      { item_key: "3", question: QUESTIONS.highRisk },
    ]);
  });

  it("refuses a batch with bad lines, naming each line, and starts nothing", async () => {
    const before = await count(h, "SELECT count(*) AS n FROM threads");
    const body = [
      JSON.stringify({ question: "fine", id: "a" }),
      "{not json",
      JSON.stringify({ question: "" }),
      JSON.stringify({ question: "ok", extra: true }),
      JSON.stringify({ question: "again", id: "a" }),
    ].join("\n");
    const res = await h.call("POST", "/batches", body, NDJSON);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("validation_failed");
    const details = res.body.error.details as { line: number; path: string }[];
    expect(details.map((d) => [d.line, d.path])).toEqual([
      [2, "(line)"],
      [3, "question"],
      [4, "(line)"],
      [5, "id"],
    ]);
    expect(JSON.stringify(details[3])).toContain("line 1");

    const json = await h.call("POST", "/batches", {
      questions: [{ question: "fine" }, { question: 42 }],
    });
    expect(json.status).toBe(422);
    expect(json.body.error.details).toEqual([
      expect.objectContaining({ line: 2, path: "question" }),
    ]);
    const envelope = await h.call("POST", "/batches", { questions: [], priority: 101 });
    expect(envelope.status).toBe(422);
    const tooMany = await h.call(
      "POST",
      "/batches",
      ndjson(Array.from({ length: 51 }, (_, i) => ({ question: `q ${i}` }))),
      NDJSON,
    );
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.code).toBe("batch_too_large");
    const empty = await h.call("POST", "/batches", "\n\n", NDJSON);
    expect(empty.status).toBe(422);
    const text = await h.call("POST", "/batches", "question", { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    const badQuery = await h.call("POST", "/batches?metadata=%7Bnope", "{}", NDJSON);
    expect(badQuery.status).toBe(400);
    expect(await count(h, "SELECT count(*) AS n FROM threads")).toBe(before);
  });

  it("never starts a question twice: a repeated Idempotency-Key or added items with known ids start only what is new", async () => {
    const key = { "idempotency-key": "nightly-2026-12-03" };
    const lines = [
      { question: "first question", id: "q1" },
      { question: "second question", id: "q2" },
      { question: "third question", id: "q3" },
    ];
    const first = await h.call("POST", "/batches", ndjson(lines), { ...NDJSON, ...key });
    expect(first.status).toBe(202);
    const batchId = first.body.batch_id as string;
    // The client died after sending; it sends the whole file again, now two lines longer.
    const longer = [...lines, { question: "fourth", id: "q4" }, { question: "fifth", id: "q5" }];
    const again = await h.call("POST", "/batches", ndjson(longer), { ...NDJSON, ...key });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ batch_id: batchId, total: 5, submitted: 5, started: 2 });
    // In parts: added items need ids, known ids are left alone.
    const noIds = await h.call("POST", `/batches/${batchId}/items`, {
      questions: [{ question: "sixth" }],
    });
    expect(noIds.status).toBe(422);
    expect(noIds.body.error.details[0]).toMatchObject({ line: 1, path: "id" });
    const added = await h.call("POST", `/batches/${batchId}/items`, {
      questions: [
        { question: "second question", id: "q2" },
        { question: "sixth", id: "q6" },
      ],
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body).toMatchObject({ total: 6, submitted: 2, started: 1 });
    const perItem = await h.db.pool.query<{ item_key: string; threads: number; runs: number }>(
      `SELECT t.item_key, count(DISTINCT t.thread_id)::int AS threads, count(r.run_id)::int AS runs
       FROM threads t JOIN runs r USING (thread_id) WHERE t.batch_id = $1
       GROUP BY t.item_key ORDER BY t.item_key`,
      [batchId],
    );
    expect(perItem.rows).toEqual(
      ["q1", "q2", "q3", "q4", "q5", "q6"].map((item_key) => ({ item_key, threads: 1, runs: 1 })),
    );
    const missing = await h.call("POST", "/batches/3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41/items", {
      questions: [{ question: "x", id: "x" }],
    });
    expect(missing.status).toBe(404);
  });

  it("claims interactive runs before every batch run, batches by priority, and leaves batch runs alone when asked", async () => {
    // Batches of priority 70, 5 and 50 are queued by the tests above; 90 is the newest.
    const high = await h.call("POST", "/batches", {
      questions: [{ question: "urgent batch" }],
      priority: 90,
    });
    const thread = await h.call("POST", "/threads", { question: QUESTIONS.answerable });
    expect(thread.status).toBe(202);
    const pool = h.db.pool;
    const first = (await claimRun(pool, "test-worker", 30))!;
    expect(first).toMatchObject({ thread_id: thread.body.thread_id, lane: LANES.interactive });
    // The batch slots are full: nothing interactive is left, so nothing is claimed.
    expect(await claimRun(pool, "test-worker", 30, { interactiveOnly: true })).toBeUndefined();
    const second = (await claimRun(pool, "test-worker", 30))!;
    expect(second).toMatchObject({ lane: LANES.batch, priority: 90 });
    const { rows } = await pool.query<{ batch_id: string }>(
      "SELECT batch_id FROM threads WHERE thread_id = $1",
      [second.thread_id],
    );
    expect(rows[0]!.batch_id).toBe(high.body.batch_id);
    const third = (await claimRun(pool, "test-worker", 30)) as RunRow;
    expect(third.priority).toBe(70);

    // Progress counts what was claimed as running.
    const progress = await h.call("GET", `/batches/${high.body.batch_id as string}`);
    expect(progress.status).toBe(200);
    expect(batchResponse.parse(progress.body).counts).toMatchObject({ queued: 0, running: 1 });
  });

  it("keeps a client's batches to itself", async () => {
    const keys = await createKeys(h, {
      admin: "admin",
      alice: "client",
      bob: "client",
      rita: "reviewer",
    });
    const created = await h.call(
      "POST",
      "/batches",
      { questions: [{ question: "mine" }] },
      keys.alice,
    );
    expect(created.status).toBe(202);
    const id = created.body.batch_id as string;
    expect((await h.call("GET", `/batches/${id}`, undefined, keys.alice)).status).toBe(200);
    expect((await h.call("GET", `/batches/${id}`, undefined, keys.bob)).status).toBe(404);
    const bobsResults = await h.app.request(`/batches/${id}/results`, { headers: keys.bob });
    expect(bobsResults.status).toBe(404);
    const bobAdds = await h.call(
      "POST",
      `/batches/${id}/items`,
      { questions: [{ question: "sneaky", id: "s" }] },
      keys.bob,
    );
    expect(bobAdds.status).toBe(404);
    expect((await h.call("GET", `/batches/${id}`, undefined, keys.rita)).status).toBe(200);
    // A reviewer reads batches but does not start them.
    const ritaCreates = await h.call(
      "POST",
      "/batches",
      { questions: [{ question: "q" }] },
      keys.rita,
    );
    expect(ritaCreates.status).toBe(403);
    // The same Idempotency-Key from two clients is two batches.
    const k = { "idempotency-key": "shared" };
    const a = await h.call(
      "POST",
      "/batches",
      { questions: [{ question: "a" }] },
      { ...keys.alice, ...k },
    );
    const b = await h.call(
      "POST",
      "/batches",
      { questions: [{ question: "b" }] },
      { ...keys.bob, ...k },
    );
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.batch_id).not.toBe(b.body.batch_id);
  });
});

describe.each(testDatabases)("batches: running to the end ($name)", (kind) => {
  const h = useHarness(kind);

  it("reports progress by state and streams the answers with provenance and citations, in item order", async () => {
    const created = await h.call("POST", "/batches", {
      questions: [
        { question: QUESTIONS.answerable, id: "returns" },
        { question: QUESTIONS.highRisk, id: "dose" },
        { question: QUESTIONS.unanswerable, id: "capital" },
        { question: QUESTIONS.blocked, id: "injection" },
      ],
    });
    expect(created.status).toBe(202);
    const batchId = created.body.batch_id as string;
    await until(
      async () => (await h.call("GET", `/batches/${batchId}`)).body.settled === true,
      "the batch to settle",
    );
    const progress = batchResponse.parse((await h.call("GET", `/batches/${batchId}`)).body);
    expect(progress.total).toBe(4);
    expect(progress.counts).toEqual({
      queued: 0,
      running: 0,
      awaiting_review: 2,
      completed: 2,
      failed: 0,
    });

    const lines = await results(h, batchId);
    expect(lines.map((l) => [l.item_id, l.status])).toEqual([
      ["returns", "completed"],
      ["dose", "awaiting_review"],
      ["capital", "awaiting_review"],
      ["injection", "completed"],
    ]);
    expect(lines[0]).toMatchObject({ provenance: "auto", answer_provider: "offline-extractive" });
    expect(lines[0]!.citations.length).toBeGreaterThan(0);
    expect(lines[0]!.answer).toMatch(/\[\d\]/);

    // A reviewer's decision shows in the results, with its provenance.
    const review = await pendingReview(h, { thread_id: lines[1]!.thread_id });
    await decide(h, review.review_id, { type: "approve" });
    const done = await results(h, batchId, "?status=completed");
    expect(done.map((l) => [l.item_id, l.provenance])).toEqual([
      ["returns", "auto"],
      ["dose", "approved"],
      ["injection", expect.any(String)],
    ]);
    const waiting = await results(h, batchId, "?status=awaiting_review");
    expect(waiting.map((l) => l.item_id)).toEqual(["capital"]);
    const bad = await h.call("GET", `/batches/${batchId}/results?status=nope`);
    expect(bad.status).toBe(400);
    const unknown = await h.call("GET", "/batches/3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41/results");
    expect(unknown.status).toBe(404);
  });

  it("pages through a large batch's results without losing or repeating a line", async () => {
    const questions = Array.from({ length: 1200 }, (_, i) => ({
      question: `question ${i}`,
      id: `n${i}`,
    }));
    const created = await h.call("POST", "/batches", ndjson(questions), NDJSON);
    expect(created.status).toBe(202);
    expect(created.body.started).toBe(1200);
    // Results are readable while the batch runs: every item, once, in order (pages of 500).
    const lines = await results(h, created.body.batch_id as string);
    expect(lines.map((l) => l.item_id)).toEqual(questions.map((q) => q.id));
  });
});
