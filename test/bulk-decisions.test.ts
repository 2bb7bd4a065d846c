import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bulkDecisionResponse,
  reviewListResponse,
  reviewReasonsResponse,
} from "../src/api/schemas.js";
import type { Database } from "../src/db/database.js";
import { defaultReviewPolicy } from "../src/services/review-policy.js";
import { testDatabases } from "./support/databases.js";
import { createKeys, startHarness, type Harness } from "./support/harness.js";
import { QUESTIONS } from "./support/flow.js";
import { until } from "./support/until.js";

describe.each(testDatabases)("bulk decisions ($name)", (kind) => {
  let db: Database;
  let h: Harness;
  let dir: string;
  let keys: Record<"admin" | "alice" | "bob" | "client", Record<string, string>>;

  beforeAll(async () => {
    db = await kind.open();
    dir = await mkdtemp(path.join(tmpdir(), "signoff-bulk-"));
    const policyFile = path.join(dir, "review-policy.json");
    // Two approvals for high-risk answers, one for the rest.
    await writeFile(
      policyFile,
      JSON.stringify({
        ...defaultReviewPolicy,
        approvals_required: { low: 1, medium: 1, high: 2 },
      }),
    );
    h = await startHarness(db, { env: { REVIEW_POLICY_FILE: policyFile } });
    keys = await createKeys(h, {
      admin: "admin",
      alice: "reviewer",
      bob: "reviewer",
      client: "client",
    });
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A settled batch of `n` copies of `question`, and each thread's pending review with its version. */
  async function pausedBatch(question: string, n: number) {
    const created = await h.call(
      "POST",
      "/batches",
      { questions: Array.from({ length: n }, (_, i) => ({ question: `${question} (#${i})` })) },
      keys.client,
    );
    expect(created.status).toBe(202);
    const batchId = created.body.batch_id as string;
    await until(
      async () => (await h.call("GET", `/batches/${batchId}`, undefined, keys.admin)).body.settled,
      "the batch to settle",
      60_000,
    );
    const { rows } = await db.pool.query<{ review_id: string }>(
      `SELECT r.review_id FROM reviews r JOIN threads t USING (thread_id)
       WHERE t.batch_id = $1 AND r.status = 'pending' ORDER BY t.item_ordinal`,
      [batchId],
    );
    expect(rows).toHaveLength(n);
    return Promise.all(
      rows.map(async ({ review_id }) => {
        const card = await h.call("GET", `/reviews/${review_id}`, undefined, keys.admin);
        return { review_id, version: card.body.version as string };
      }),
    );
  }

  const count = async (sql: string, ids: string[]) =>
    (await db.pool.query<{ n: number }>(sql, [ids])).rows[0]!.n;

  it("groups the queue by reason, lists a group, and decides it in one request", async () => {
    const gap = await pausedBatch(QUESTIONS.unanswerable, 4);
    const health = await pausedBatch(QUESTIONS.highRisk, 2);
    const reasons = await h.call("GET", "/reviews/reasons", undefined, keys.alice);
    expect(reasons.status).toBe(200);
    const groups = reviewReasonsResponse.parse(reasons.body).items;
    expect(groups).toEqual([
      {
        reason_key: "retrieval:low_score",
        stage: "retrieval",
        count: 4,
        label: "retrieval gap — no passage scores at the retrieval threshold",
      },
      {
        reason_key: "policy:health",
        stage: "answer",
        count: 2,
        label: expect.stringMatching(/^policy rule health — health and medication questions/),
      },
    ]);
    // The group, page by page, is exactly the items that paused for it.
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const query = `status=pending&reason_key=retrieval:low_score&limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await h.call("GET", `/reviews?${query}`, undefined, keys.alice);
      expect(page.status).toBe(200);
      const body = reviewListResponse.parse(page.body);
      expect(body.items.every((i) => i.reason_key === "retrieval:low_score")).toBe(true);
      listed.push(...body.items.map((i) => i.review_id));
      cursor = body.next_cursor;
    } while (cursor);
    expect(listed.sort()).toEqual(gap.map((i) => i.review_id).sort());
    const other = await h.call("GET", "/reviews?reason_key=policy:health", undefined, keys.alice);
    expect(other.body.items.map((i: { review_id: string }) => i.review_id).sort()).toEqual(
      health.map((i) => i.review_id).sort(),
    );

    const decided = await h.call(
      "POST",
      "/reviews/decisions",
      { items: gap, decision: { type: "reject", reasons: ["no_source"] } },
      keys.alice,
    );
    expect(bulkDecisionResponse.parse(decided.body)).toMatchObject({ decided: 4, refused: 0 });
    const after = reviewReasonsResponse.parse(
      (await h.call("GET", "/reviews/reasons", undefined, keys.alice)).body,
    ).items;
    expect(after.map((g) => [g.reason_key, g.count])).toEqual([["policy:health", 2]]);
    // A rejection decides at once, even where an approval needs two sign-offs.
    const rejected = await h.call(
      "POST",
      "/reviews/decisions",
      { items: health, decision: { type: "reject" } },
      keys.bob,
    );
    expect(bulkDecisionResponse.parse(rejected.body)).toMatchObject({ decided: 2, refused: 0 });
    await until(
      async () =>
        (await h.call("GET", "/reviews/reasons", undefined, keys.alice)).body.items.length === 0,
      "the resumed threads to finish without another review",
    );

    const tooLong = await h.call(
      "GET",
      `/reviews?reason_key=${"x".repeat(201)}`,
      undefined,
      keys.alice,
    );
    expect(tooLong.status).toBe(400);
    const client = await h.call("GET", "/reviews/reasons", undefined, keys.client);
    expect(client.status).toBe(403);
  });

  it("derives the reason key from the card: the gate, then the rule or flag", async () => {
    const card = (extra: object) => JSON.stringify({ stage: "answer", risk_tier: "low", ...extra });
    const judge = (score: number, flags: string[] = []) => ({ score, threshold: 0.5, flags });
    const cases: [string, string][] = [
      [
        JSON.stringify({
          stage: "retrieval",
          retrieval: { score: 0, threshold: 0.5, passages: [] },
        }),
        "retrieval:no_passages",
      ],
      [
        JSON.stringify({
          stage: "retrieval",
          retrieval: { score: 0.3, threshold: 0.5, passages: [{}] },
        }),
        "retrieval:low_score",
      ],
      [
        JSON.stringify({
          stage: "retrieval",
          retrieval: { score: 0.7, threshold: 0.5, passages: [{}] },
        }),
        "retrieval:sign_off",
      ],
      // The first rule over the low tier names the group, whatever the judge said.
      [
        card({
          risk_tier: "high",
          policy: [
            { rule: "faq", tier: "low" },
            { rule: "legal", tier: "high" },
            { rule: "pii", tier: "medium" },
          ],
          judge: judge(0.1, ["off_topic"]),
        }),
        "policy:legal",
      ],
      [card({ risk_tier: "medium", policy: [] }), "risk:medium"],
      [card({ risk_tier: null }), "risk:unknown"],
      [card({ judge: null }), "judge:not_judged"],
      [card({ judge: judge(0.2, ["missing_citations", "off_topic"]) }), "judge:missing_citations"],
      [card({ judge: judge(0.2) }), "judge:low_score"],
      [card({ judge: judge(0.9), audit_sample: true }), "audit:sample"],
      [card({ judge: judge(0.9) }), "answer:sign_off"],
      [
        JSON.stringify({ stage: "answer", risk_tier: "low", judge: { score: "?", flags: "none" } }),
        "answer:sign_off",
      ],
      ["null", "unknown"],
    ];
    for (const [value, key] of cases) {
      const { rows } = await db.pool.query<{ key: string }>(
        "SELECT review_reason_key($1::jsonb) AS key",
        [value],
      );
      expect(rows[0]!.key, value).toBe(key);
    }
    // A review stored before interrupts carried `card` has its card in action_request.args.
    const { rows } = await db.pool.query<{ reason_key: string }>(
      `WITH t AS (INSERT INTO threads (thread_id, question, status) VALUES (gen_random_uuid(), 'old', 'awaiting_review') RETURNING thread_id)
       INSERT INTO reviews (thread_id, interrupt_id, stage, risk_tier, reason, trigger, interrupt, status)
       SELECT thread_id, 'old-shape', 'retrieval', 'low', 'r', '{}', $1::jsonb, 'decided' FROM t
       RETURNING reason_key`,
      [
        JSON.stringify({
          action_request: {
            action: "review_retrieval",
            args: { stage: "retrieval", retrieval: { score: 0.1, threshold: 0.5, passages: [] } },
          },
        }),
      ],
    );
    expect(rows[0]!.reason_key).toBe("retrieval:no_passages");
  });

  it("approves 50 items that share a reason: decides 49 and reports the one whose card is stale", async () => {
    // Nothing in the knowledge base: every one waits in retrieval review for the same reason.
    const items = await pausedBatch(QUESTIONS.unanswerable, 50);
    // The reviewer's page showed an older card of one of them: its version no longer matches.
    const stale = items[17]!;
    const sent = items.map((i) => (i === stale ? { ...i, version: "an-older-card" } : i));
    const res = await h.call(
      "POST",
      "/reviews/decisions",
      { items: sent, decision: { type: "approve", comment: "same gap: no source" } },
      keys.alice,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = bulkDecisionResponse.parse(res.body);
    expect(body).toMatchObject({ decided: 49, refused: 1 });
    expect(body.results.filter((r) => r.outcome === "refused")).toEqual([
      {
        review_id: stale.review_id,
        outcome: "refused",
        thread_id: null,
        error: expect.objectContaining({ code: "stale_version" }),
      },
    ]);
    // Each decided item has its own decision, audit event, feedback row and resume run.
    const decided = items.filter((i) => i !== stale).map((i) => i.review_id);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM reviews WHERE review_id = ANY($1) AND status = 'decided' AND decided_by = 'alice'",
        decided,
      ),
    ).toBe(49);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM review_events WHERE review_id = ANY($1) AND type = 'decided'",
        decided,
      ),
    ).toBe(49);
    expect(
      await count("SELECT count(*)::int AS n FROM feedback WHERE review_id = ANY($1)", decided),
    ).toBe(49);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM runs WHERE review_id = ANY($1) AND kind = 'resume'",
        decided,
      ),
    ).toBe(49);
    // The stale one is untouched and still waits.
    const left = await h.call("GET", `/reviews/${stale.review_id}`, undefined, keys.admin);
    expect(left.body).toMatchObject({ status: "pending", version: stale.version });
    expect(
      await count(
        "SELECT count(*)::int AS n FROM review_events WHERE review_id = ANY($1) AND type IN ('decided', 'voted')",
        [stale.review_id],
      ),
    ).toBe(0);
    // Sent again (a retry), the decided ones are refused as decided: nothing is decided twice.
    const retry = await h.call(
      "POST",
      "/reviews/decisions",
      { items: sent.slice(0, 3), decision: { type: "approve" } },
      keys.alice,
    );
    expect(bulkDecisionResponse.parse(retry.body)).toMatchObject({ decided: 0, refused: 3 });
    expect(retry.body.results[0].error.code).toBe("already_decided");
  });

  it("holds each item to its approvals policy: two sign-offs for high risk", async () => {
    const items = await pausedBatch(QUESTIONS.highRisk, 3);
    const first = await h.call(
      "POST",
      "/reviews/decisions",
      { items, decision: { type: "approve" } },
      keys.alice,
    );
    expect(bulkDecisionResponse.parse(first.body).results.map((r) => r.outcome)).toEqual([
      "vote_recorded",
      "vote_recorded",
      "vote_recorded",
    ]);
    // The votes changed each card: the versions alice saw are stale for bob.
    const staleForBob = await h.call(
      "POST",
      "/reviews/decisions",
      { items, decision: { type: "approve" } },
      keys.bob,
    );
    expect(bulkDecisionResponse.parse(staleForBob.body)).toMatchObject({ decided: 0, refused: 3 });
    const fresh = await h.call(
      "POST",
      "/reviews/decisions",
      { items: items.map(({ review_id }) => ({ review_id })), decision: { type: "approve" } },
      keys.bob,
    );
    expect(bulkDecisionResponse.parse(fresh.body).results.map((r) => r.outcome)).toEqual([
      "decided",
      "decided",
      "decided",
    ]);
    const ids = items.map((i) => i.review_id);
    expect(
      await count("SELECT count(*)::int AS n FROM review_votes WHERE review_id = ANY($1)", ids),
    ).toBe(6);
  });

  it("refuses a malformed selection and keeps clients out", async () => {
    const id = "3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41";
    const twice = await h.call(
      "POST",
      "/reviews/decisions",
      { items: [{ review_id: id }, { review_id: id }], decision: { type: "approve" } },
      keys.alice,
    );
    expect(twice.status).toBe(422);
    const edit = await h.call(
      "POST",
      "/reviews/decisions",
      { items: [{ review_id: id }], decision: { type: "edit", answer: "x" } },
      keys.alice,
    );
    expect(edit.status).toBe(422);
    const unknown = await h.call(
      "POST",
      "/reviews/decisions",
      { items: [{ review_id: id }], decision: { type: "reject" } },
      keys.alice,
    );
    expect(unknown.body.results[0]).toMatchObject({
      outcome: "refused",
      error: { code: "not_found" },
    });
    const client = await h.call(
      "POST",
      "/reviews/decisions",
      { items: [{ review_id: id }], decision: { type: "approve" } },
      keys.client,
    );
    expect(client.status).toBe(403);
  });
});
