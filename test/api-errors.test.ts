import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { errorResponse, reviewListResponse } from "../src/api/schemas.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { ask, decide, pendingReview, QUESTIONS } from "./support/flow.js";

const UNKNOWN = "00000000-0000-4000-8000-000000000000";

describe.each(testDatabases)("bad input gets a documented 4xx JSON error ($name)", (kind) => {
  let db: Database;
  let h: Harness;
  let pendingId: string;
  let decidedId: string;
  let runningThreadId: string;

  beforeAll(async () => {
    db = await kind.open();
    h = await startHarness(db, { env: { MAX_BODY_BYTES: "4096" } });
    pendingId = (await pendingReview(h, await ask(h, QUESTIONS.highRisk))).review_id;
    const decided = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
    await decide(h, decided.review_id, { type: "approve" });
    decidedId = decided.review_id;
    runningThreadId = (await ask(h, QUESTIONS.unanswerable)).thread_id;
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });

  const big = "x".repeat(5000);
  const cases: [string, string, string, unknown, number, string, Record<string, string>?][] = [
    ["POST /threads malformed JSON", "POST", "/threads", "{question:", 400, "invalid_json"],
    ["POST /threads wrong type", "POST", "/threads", { question: 42 }, 422, "validation_failed"],
    [
      "POST /threads missing question",
      "POST",
      "/threads",
      { metadata: {} },
      422,
      "validation_failed",
    ],
    [
      "POST /threads empty question",
      "POST",
      "/threads",
      { question: "   " },
      422,
      "validation_failed",
    ],
    [
      "POST /threads unknown field",
      "POST",
      "/threads",
      { question: "hi", admin: true },
      422,
      "validation_failed",
    ],
    [
      "POST /threads metadata not an object",
      "POST",
      "/threads",
      { question: "hi", metadata: [1] },
      422,
      "validation_failed",
    ],
    [
      "POST /threads not JSON",
      "POST",
      "/threads",
      "question=hi",
      415,
      "unsupported_media_type",
      { "content-type": "text/plain" },
    ],
    [
      "POST /threads oversized body",
      "POST",
      "/threads",
      { question: big },
      413,
      "payload_too_large",
    ],
    [
      "POST /threads bad wait",
      "POST",
      "/threads?wait=abc",
      { question: "hi" },
      400,
      "invalid_query",
    ],
    [
      "POST /threads wait too long",
      "POST",
      "/threads?wait=3600",
      { question: "hi" },
      400,
      "invalid_query",
    ],
    [
      "POST /threads empty Idempotency-Key",
      "POST",
      "/threads",
      { question: "hi" },
      400,
      "invalid_header",
      { "idempotency-key": "" },
    ],
    [
      "POST /threads NUL byte in the question",
      "POST",
      "/threads",
      { question: "a\u0000b" },
      422,
      "invalid_value",
    ],
    [
      "POST /threads unknown API key (open mode too)",
      "POST",
      "/threads",
      { question: "hi" },
      401,
      "invalid_key",
      { authorization: "Bearer so_admin_unknown" },
    ],
    ["GET /threads/:id not a uuid", "GET", "/threads/123", undefined, 400, "invalid_id"],
    ["GET /threads/:id unknown", "GET", `/threads/${UNKNOWN}`, undefined, 404, "not_found"],
    ["GET /reviews bad status", "GET", "/reviews?status=open", undefined, 400, "invalid_query"],
    ["GET /reviews bad stage", "GET", "/reviews?stage=final", undefined, 400, "invalid_query"],
    ["GET /reviews limit 0", "GET", "/reviews?limit=0", undefined, 400, "invalid_query"],
    ["GET /reviews limit too big", "GET", "/reviews?limit=1000", undefined, 400, "invalid_query"],
    [
      "GET /reviews forged cursor",
      "GET",
      "/reviews?cursor=bm90LWEtY3Vyc29y",
      undefined,
      400,
      "invalid_cursor",
    ],
    ["GET /reviews unknown parameter", "GET", "/reviews?sort=asc", undefined, 400, "invalid_query"],
    [
      "GET /reviews older_than too large",
      "GET",
      "/reviews?older_than=1000000000000",
      undefined,
      400,
      "invalid_query",
    ],
    [
      "GET /reviews cursor with a fractional priority",
      "GET",
      `/reviews?cursor=${Buffer.from(JSON.stringify({ priority: 1.5, created_at: "2026-01-01T00:00:00Z", review_id: UNKNOWN })).toString("base64url")}`,
      undefined,
      400,
      "invalid_cursor",
    ],
    [
      "GET /reviews cursor with a timestamp Postgres cannot store (year 0)",
      "GET",
      `/reviews?cursor=${Buffer.from(JSON.stringify({ priority: 1, created_at: "0000-01-01T00:00:00Z", review_id: UNKNOWN })).toString("base64url")}`,
      undefined,
      400,
      "invalid_cursor",
    ],
    [
      "GET /datasets/export since year 0",
      "GET",
      "/datasets/export?since=0000-01-01",
      undefined,
      400,
      "invalid_query",
    ],
    [
      "GET /datasets/export since February 31st",
      "GET",
      "/datasets/export?since=2026-02-31",
      undefined,
      400,
      "invalid_query",
    ],
    [
      "GET /reviews cursor with a bad timestamp",
      "GET",
      `/reviews?cursor=${Buffer.from(JSON.stringify({ priority: 1, created_at: "1", review_id: UNKNOWN })).toString("base64url")}`,
      undefined,
      400,
      "invalid_cursor",
    ],
    ["GET /reviews/:id not a uuid", "GET", "/reviews/abc", undefined, 400, "invalid_id"],
    ["GET /reviews/:id unknown", "GET", `/reviews/${UNKNOWN}`, undefined, 404, "not_found"],
    [
      "POST decision unknown review",
      "POST",
      `/reviews/${UNKNOWN}/decision`,
      { type: "approve" },
      404,
      "not_found",
    ],
    ["POST decision bad id", "POST", "/reviews/1/decision", { type: "approve" }, 400, "invalid_id"],
    [
      "POST decision malformed JSON",
      "POST",
      "/reviews/:pending/decision",
      "{",
      400,
      "invalid_json",
    ],
    [
      "POST decision unknown type",
      "POST",
      "/reviews/:pending/decision",
      { type: "maybe" },
      422,
      "validation_failed",
    ],
    [
      "POST decision respond without answer",
      "POST",
      "/reviews/:pending/decision",
      { type: "respond" },
      422,
      "validation_failed",
    ],
    [
      "POST decision revise without instructions",
      "POST",
      "/reviews/:pending/decision",
      { type: "revise" },
      422,
      "validation_failed",
    ],
    [
      "POST decision edit without answer or chunks",
      "POST",
      "/reviews/:pending/decision",
      { type: "edit" },
      422,
      "validation_failed",
    ],
    [
      "POST decision edit of an answer with only chunk_ids",
      "POST",
      "/reviews/:pending/decision",
      { type: "edit", chunk_ids: [UNKNOWN] },
      422,
      "decision_not_allowed",
    ],
    [
      "POST decision reasons not strings",
      "POST",
      "/reviews/:pending/decision",
      { type: "reject", reasons: [1] },
      422,
      "validation_failed",
    ],
    [
      "POST decision on a decided review",
      "POST",
      "/reviews/:decided/decision",
      { type: "approve" },
      409,
      "already_decided",
    ],
    [
      "POST feedback unknown thread",
      "POST",
      `/threads/${UNKNOWN}/feedback`,
      { rating: 5 },
      404,
      "not_found",
    ],
    [
      "POST feedback on an unfinished thread",
      "POST",
      "/threads/:running/feedback",
      { rating: 5 },
      409,
      "thread_not_completed",
    ],
    [
      "POST feedback rating out of range",
      "POST",
      `/threads/${UNKNOWN}/feedback`,
      { rating: 9 },
      422,
      "validation_failed",
    ],
    [
      "POST feedback unknown reason",
      "POST",
      `/threads/${UNKNOWN}/feedback`,
      { rating: 1, reasons: ["meh"] },
      422,
      "validation_failed",
    ],
    [
      "POST /documents missing text",
      "POST",
      "/documents",
      { title: "t" },
      422,
      "validation_failed",
    ],
    [
      "POST /documents oversized",
      "POST",
      "/documents",
      { title: "t", text: big },
      413,
      "payload_too_large",
    ],
    [
      "POST /documents not JSON",
      "POST",
      "/documents",
      "title=t",
      415,
      "unsupported_media_type",
      { "content-type": "application/x-www-form-urlencoded" },
    ],
    ["unknown route", "GET", "/nope", undefined, 404, "not_found"],
    ["wrong method", "DELETE", "/threads", undefined, 404, "not_found"],
  ];

  it.each(cases)("%s", async (_name, method, rawPath, body, status, code, headers) => {
    const path = rawPath
      .replace(":pending", pendingId)
      .replace(":decided", decidedId)
      .replace(":running", runningThreadId);
    const res = await h.call(method, path, body, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(errorResponse.parse(res.body).error.code).toBe(code);
    expect(JSON.stringify(res.body)).not.toMatch(/at .+\.(ts|js):\d+/); // no stack traces
  });

  it("a refused decision leaves the review pending and decidable", async () => {
    const res = await h.call("POST", `/reviews/${pendingId}/decision`, { type: "approve" });
    expect(res.status).toBe(200);
  });

  it("a repeated POST /threads with the same Idempotency-Key returns the same thread", async () => {
    const headers = { "idempotency-key": `key-${kind.name}` };
    const first = await h.call("POST", "/threads", { question: QUESTIONS.answerable }, headers);
    const second = await h.call("POST", "/threads", { question: QUESTIONS.answerable }, headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.thread_id).toBe(first.body.thread_id);
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM runs WHERE thread_id = $1",
      [first.body.thread_id],
    );
    expect(rows[0].n).toBe(1);
    const reused = await h.call(
      "POST",
      "/threads",
      { question: "Something else entirely?" },
      headers,
    );
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe("idempotency_key_reused");
  });

  it("post-inference feedback is stored once per Idempotency-Key", async () => {
    const thread = await ask(h, QUESTIONS.answerable);
    const headers = { "idempotency-key": `fb-${kind.name}` };
    const body = {
      rating: 2,
      reasons: ["incomplete"],
      correction: "Mention the 30-day window.",
      comment: "short",
    };
    const first = await h.call("POST", `/threads/${thread.thread_id}/feedback`, body, headers);
    const again = await h.call("POST", `/threads/${thread.thread_id}/feedback`, body, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.feedback_id).toBe(first.body.feedback_id);
    const { rows } = await db.pool.query("SELECT * FROM feedback WHERE thread_id = $1", [
      thread.thread_id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: "user",
      rating: 2,
      reasons: ["incomplete"],
      correction: "Mention the 30-day window.",
    });
    expect(rows[0].context).toMatchObject({
      question: QUESTIONS.answerable,
      answer: thread.answer,
      provenance: "auto",
    });
  });

  it("POST /documents adds a searchable document once", async () => {
    const doc = {
      title: "Kayak rentals",
      text: "Kayaks can be rented for $35 per day from the Portland store. Paddles and life jackets are included.",
    };
    const first = await h.call("POST", "/documents", doc);
    const again = await h.call("POST", "/documents", doc);
    expect(first.status).toBe(201);
    expect(first.body.chunks).toBe(1);
    expect(again.status).toBe(200);
    expect(again.body.document_id).toBe(first.body.document_id);
    const thread = await ask(h, "How much does it cost to rent a kayak per day?");
    expect(thread.answer).toContain("$35 per day");
  });

  it("pages through the queue by priority then age with a keyset cursor", async () => {
    for (let i = 0; i < 3; i++) await ask(h, QUESTIONS.unanswerable);
    const seen: { review_id: string; priority: number; created_at: string }[] = [];
    let cursor: string | null = null;
    do {
      const res = await h.call(
        "GET",
        `/reviews?status=pending&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).toBe(200);
      const page = reviewListResponse.parse(res.body);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    const all = await db.pool.query("SELECT review_id FROM reviews WHERE status = 'pending'");
    expect(new Set(seen.map((s) => s.review_id)).size).toBe(all.rowCount);
    expect(seen.length).toBe(all.rowCount);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      expect(
        a.priority > b.priority || (a.priority === b.priority && a.created_at <= b.created_at),
      ).toBe(true);
    }
  });

  it("serves health, readiness and an OpenAPI document covering every route", async () => {
    expect((await h.call("GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await h.call("GET", "/readyz")).body).toEqual({
      status: "ready",
      database: "up",
      pending_migrations: [],
    });
    const doc = (await h.call("GET", "/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    // signoff's own API, and the Agent Protocol under /langgraph.
    const own = Object.keys(doc.paths).filter((p) => !p.startsWith("/langgraph/"));
    expect(Object.keys(doc.paths)).toContain("/langgraph/threads/{threadId}/runs/stream");
    expect(own.sort()).toEqual(
      [
        "/batches",
        "/batches/{batchId}",
        "/batches/{batchId}/items",
        "/batches/{batchId}/results",
        "/datasets/export",
        "/documents",
        "/documents/pending",
        "/documents/{documentId}",
        "/documents/{documentId}/approve",
        "/documents/{documentId}/edit",
        "/documents/{documentId}/reject",
        "/gate/live",
        "/healthz",
        "/keys",
        "/keys/{keyId}",
        "/metrics",
        "/reviews/{reviewId}/claim",
        "/reviews/{reviewId}/events",
        "/reviews/{reviewId}/heartbeat",
        "/reviews/{reviewId}/release",
        "/readyz",
        "/reviews",
        "/reviews/{reviewId}",
        "/reviews/{reviewId}/decision",
        "/reviews/decisions",
        "/reviews/reasons",
        "/threads",
        "/threads/{threadId}",
        "/threads/{threadId}/feedback",
        "/widget.js",
        "/demo/questions",
        "/demo/threads/{threadId}",
        "/thresholds",
        "/thresholds/proposals",
        "/thresholds/{versionId}",
        "/thresholds/{versionId}/approve",
        "/thresholds/{versionId}/reject",
        "/prompts",
        "/prompts/proposals",
        "/prompts/{versionId}",
        "/prompts/{versionId}/dry-run",
        "/prompts/{versionId}/approve",
        "/prompts/{versionId}/reject",
      ].sort(),
    );
    const decisionSchema =
      doc.paths["/reviews/{reviewId}/decision"].post.requestBody.content["application/json"].schema;
    expect(JSON.stringify(decisionSchema)).toContain('"revise"');
    expect(JSON.stringify(decisionSchema)).toContain('"version"');
  });
});

describe("when the database goes away", () => {
  it("answers 503 JSON, not 500", async () => {
    const db = await testDatabases[0]!.open();
    const h = await startHarness(db, { worker: false });
    await h.close();
    await db.close();
    const res = await h.call("GET", `/threads/${UNKNOWN}`);
    expect(res.status).toBe(503);
    expect(errorResponse.parse(res.body).error.code).toBe("database_unavailable");
    const ready = await h.call("GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.database).toBe("down");
  });
});
