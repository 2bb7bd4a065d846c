import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { defaultReviewPolicy } from "../src/services/review-policy.js";
import { Sweeper } from "../src/runs/sweeper.js";
import { createLogger } from "../src/logger.js";
import { decisionResponse, reviewResponse, threadResponse } from "../src/api/schemas.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { QUESTIONS } from "./support/flow.js";

type Keys = Record<"admin" | "alice" | "bob" | "carol" | "client" | "client2", string>;

async function createKeys(h: Harness): Promise<Keys> {
  // Open mode lets the first admin key be created over the API; after that keys are required.
  const admin = await h.call("POST", "/keys", { name: "root", role: "admin" });
  expect(admin.status).toBe(201);
  const auth = { authorization: `Bearer ${admin.body.key}` };
  const make = async (name: string, role: string) => {
    const res = await h.call("POST", "/keys", { name, role }, auth);
    expect(res.status).toBe(201);
    return res.body.key as string;
  };
  return {
    admin: admin.body.key,
    alice: await make("alice", "reviewer"),
    bob: await make("bob", "reviewer"),
    carol: await make("carol", "reviewer"),
    client: await make("app", "client"),
    client2: await make("other-app", "client"),
  };
}

describe.each(testDatabases)("review workflow ($name)", (kind) => {
  let db: Database;
  let h: Harness;
  let keys: Keys;
  const as = (who: keyof Keys) => ({ authorization: `Bearer ${keys[who]}` });

  async function pausedReview(question = QUESTIONS.highRisk) {
    const created = await h.call("POST", "/threads?wait=20", { question }, as("client"));
    expect(created.status).toBe(202);
    const thread = threadResponse.parse(created.body);
    expect(thread.status).toBe("awaiting_review");
    const res = await h.call(
      "GET",
      `/reviews/${thread.reviews[0]!.review_id}`,
      undefined,
      as("alice"),
    );
    return reviewResponse.parse(res.body);
  }
  const decisionPath = (id: string) => `/reviews/${id}/decision?wait=20`;
  const events = async (id: string) =>
    (
      (await h.call("GET", `/reviews/${id}/events`, undefined, as("admin"))).body.items as {
        type: string;
        actor: string;
      }[]
    ).map((e) => `${e.type}:${e.actor}`);

  beforeAll(async () => {
    db = await kind.open();
    const dir = await mkdtemp(path.join(tmpdir(), "signoff-policy-"));
    const policyFile = path.join(dir, "review-policy.json");
    // The default SLA policy, and two approvals for high-risk answers.
    await writeFile(
      policyFile,
      JSON.stringify({
        ...defaultReviewPolicy,
        approvals_required: { low: 1, medium: 1, high: 2 },
      }),
    );
    h = await startHarness(db, {
      env: { REVIEW_POLICY_FILE: policyFile, CLAIM_LEASE_SECONDS: "900" },
    });
    keys = await createKeys(h);
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });

  describe("claims", () => {
    it("a claim is a lease: others cannot claim or decide, the holder renews and releases it", async () => {
      const review = await pausedReview(QUESTIONS.unanswerable);
      const claim = await h.call(
        "POST",
        `/reviews/${review.review_id}/claim`,
        undefined,
        as("alice"),
      );
      expect(claim.status).toBe(200);
      expect(claim.body.claimed_by).toBe("alice");
      const until = Date.parse(claim.body.claim_expires_at);
      expect(until - h.clock.now().getTime()).toBeGreaterThan(899_000);

      const stolen = await h.call(
        "POST",
        `/reviews/${review.review_id}/claim`,
        undefined,
        as("bob"),
      );
      expect(stolen.status).toBe(409);
      expect(stolen.body.error).toMatchObject({
        code: "claimed_by_other",
        details: { claimed_by: "alice" },
      });
      const bobDecides = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "reject" },
        as("bob"),
      );
      expect(bobDecides.status).toBe(409);
      expect(bobDecides.body.error.code).toBe("claimed_by_other");

      h.clock.advance(5);
      const beat = await h.call(
        "POST",
        `/reviews/${review.review_id}/heartbeat`,
        undefined,
        as("alice"),
      );
      expect(beat.status).toBe(200);
      expect(Date.parse(beat.body.claim_expires_at)).toBeGreaterThan(until);

      const mine = await h.call(
        "GET",
        "/reviews?assignee=me&status=pending",
        undefined,
        as("alice"),
      );
      expect(mine.body.items.map((i: { review_id: string }) => i.review_id)).toContain(
        review.review_id,
      );
      const bobRelease = await h.call(
        "POST",
        `/reviews/${review.review_id}/release`,
        undefined,
        as("bob"),
      );
      expect(bobRelease.status).toBe(409);
      const released = await h.call(
        "POST",
        `/reviews/${review.review_id}/release`,
        undefined,
        as("alice"),
      );
      expect(released.status).toBe(200);
      expect(released.body.claimed_by).toBeNull();
      const bobClaims = await h.call(
        "POST",
        `/reviews/${review.review_id}/claim`,
        undefined,
        as("bob"),
      );
      expect(bobClaims.status).toBe(200);
      const done = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "reject", reasons: ["off topic"] },
        as("bob"),
      );
      expect(done.status).toBe(200);
      expect(await events(review.review_id)).toEqual([
        "created:system",
        "claimed:alice",
        "claim_renewed:alice",
        "released:alice",
        "claimed:bob",
        "decided:bob",
      ]);
    });

    it("an expired lease returns the item to the queue (and the sweeper records it)", async () => {
      const review = await pausedReview(QUESTIONS.unanswerable);
      await h.call("POST", `/reviews/${review.review_id}/claim`, undefined, as("alice"));
      const unclaimed = async () =>
        (
          (
            await h.call(
              "GET",
              "/reviews?assignee=none&status=pending&limit=100",
              undefined,
              as("bob"),
            )
          ).body.items as { review_id: string }[]
        ).map((i) => i.review_id);
      expect(await unclaimed()).not.toContain(review.review_id);
      const later = h.clock.advance(16);
      expect(await unclaimed()).toContain(review.review_id);
      const sweeper = new Sweeper(h.runtime.reviewDeps, createLogger("silent"), 60_000);
      const swept = await sweeper.sweep(later);
      expect(swept.expired).toBeGreaterThanOrEqual(1);
      expect(await events(review.review_id)).toEqual([
        "created:system",
        "claimed:alice",
        "expired:system",
      ]);
      const bobClaims = await h.call(
        "POST",
        `/reviews/${review.review_id}/claim`,
        undefined,
        as("bob"),
      );
      expect(bobClaims.body.claimed_by).toBe("bob");
    });

    it("of concurrent decisions under a claim only the holder's can win, exactly once", async () => {
      const review = await pausedReview(QUESTIONS.unanswerable);
      await h.call("POST", `/reviews/${review.review_id}/claim`, undefined, as("carol"));
      const results = await Promise.all([
        h.call("POST", `/reviews/${review.review_id}/decision`, { type: "reject" }, as("bob")),
        h.call(
          "POST",
          `/reviews/${review.review_id}/decision`,
          { type: "respond", answer: "Ulaanbaatar." },
          as("carol"),
        ),
        h.call(
          "POST",
          `/reviews/${review.review_id}/decision`,
          { type: "respond", answer: "Ulaanbaatar!" },
          as("carol"),
        ),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      expect(results[0].status).toBe(409);
      const runs = await db.pool.query("SELECT count(*)::int AS n FROM runs WHERE review_id = $1", [
        review.review_id,
      ]);
      expect(runs.rows[0].n).toBe(1);
    });
  });

  it("refuses a decision made on a stale version, with the fresh card", async () => {
    const review = await pausedReview(QUESTIONS.unanswerable);
    const stale = await h.call(
      "POST",
      decisionPath(review.review_id),
      { type: "reject", version: "not-the-version" },
      as("alice"),
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("stale_version");
    expect(reviewResponse.parse(stale.body.error.details.review).version).toBe(review.version);
    const ok = await h.call(
      "POST",
      decisionPath(review.review_id),
      { type: "reject", version: review.version },
      as("alice"),
    );
    expect(ok.status).toBe(200);
  });

  describe("several reviewers", () => {
    it("a high-risk answer needs two approvals; the thread resumes when the policy is met", async () => {
      const review = await pausedReview();
      expect(review.approvals.required).toBe(2);
      const first = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "approve", version: review.version },
        as("alice"),
      );
      expect(decisionResponse.parse(first.body).outcome).toBe("vote_recorded");
      expect(first.body.thread.status).toBe("awaiting_review");
      const again = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "approve" },
        as("alice"),
      );
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe("already_voted");
      // The vote changed the card's version: a decision on the old one is stale.
      const stale = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "approve", version: review.version },
        as("bob"),
      );
      expect(stale.body.error.code).toBe("stale_version");
      const second = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "approve" },
        as("bob"),
      );
      expect(second.body.outcome).toBe("decided");
      expect(second.body.thread).toMatchObject({ status: "completed", provenance: "approved" });
      expect(second.body.review.approvals.votes.map((v: { actor: string }) => v.actor)).toEqual([
        "alice",
        "bob",
      ]);
      expect(await events(review.review_id)).toEqual([
        "created:system",
        "voted:alice",
        "decided:bob",
      ]);
    });

    it("an answer a reviewer wrote needs a second sign-off: it goes to an admin", async () => {
      const review = await pausedReview();
      const res = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "respond", answer: "Ask your GP." },
        as("alice"),
      );
      expect(res.body.outcome).toBe("escalated");
      expect(res.body.thread.status).toBe("awaiting_review");
      expect(res.body.review.approvals.votes).toEqual([
        expect.objectContaining({ actor: "alice", decision_type: "respond" }),
      ]);
      const done = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "respond", answer: "Ask your GP." },
        as("admin"),
      );
      expect(done.body.thread).toMatchObject({
        status: "completed",
        provenance: "human",
        answer: "Ask your GP.",
      });
    });

    it("disagreement escalates the item to an admin", async () => {
      const review = await pausedReview();
      await h.call("POST", decisionPath(review.review_id), { type: "approve" }, as("alice"));
      const dispute = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "reject", reasons: ["wrong dose"] },
        as("bob"),
      );
      expect(dispute.body.outcome).toBe("escalated");
      expect(dispute.body.review).toMatchObject({ queue: "escalation", status: "pending" });
      expect(dispute.body.review.priority).toBeGreaterThan(1000);
      const reviewerTries = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "approve" },
        as("carol"),
      );
      expect(reviewerTries.body.error.code).toBe("escalated_to_admin");
      const settled = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "edit", answer: "Do not exceed 4,000 mg in 24 hours." },
        as("admin"),
      );
      expect(settled.body.thread).toMatchObject({ status: "completed", provenance: "edited" });
      expect(await events(review.review_id)).toEqual([
        "created:system",
        "voted:alice",
        "voted:bob",
        "escalated:system",
        "decided:root",
      ]);
    });
  });

  describe("SLA", () => {
    it("escalates an overdue item, then resolves it with the fallback reply and says why", async () => {
      const review = await pausedReview();
      expect(Date.parse(review.due_at!) - Date.parse(review.created_at)).toBe(30 * 60_000);
      const sweeper = new Sweeper(h.runtime.reviewDeps, createLogger("silent"), 60_000);
      const base = Date.parse(review.created_at);
      const early = await sweeper.sweep(new Date(base + 29 * 60_000));
      const stillMain = reviewResponse.parse(
        (await h.call("GET", `/reviews/${review.review_id}`, undefined, as("alice"))).body,
      );
      expect(stillMain.queue).toBe("main");
      expect(early.fallbacks).toBe(0);

      await sweeper.sweep(new Date(base + 31 * 60_000));
      const escalated = reviewResponse.parse(
        (await h.call("GET", `/reviews/${review.review_id}`, undefined, as("alice"))).body,
      );
      expect(escalated.queue).toBe("escalation");
      expect(escalated.priority).toBe(review.priority + 1000);
      const queue = await h.call(
        "GET",
        "/reviews?queue=escalation&status=pending",
        undefined,
        as("alice"),
      );
      expect(queue.body.items.map((i: { review_id: string }) => i.review_id)).toContain(
        review.review_id,
      );

      await sweeper.sweep(new Date(base + 241 * 60_000));
      const thread = threadResponse.parse(
        (await h.call("GET", `/threads/${review.thread_id}?wait=20`, undefined, as("admin"))).body,
      );
      expect(thread).toMatchObject({ status: "completed", provenance: "fallback" });
      const decided = reviewResponse.parse(
        (await h.call("GET", `/reviews/${review.review_id}`, undefined, as("alice"))).body,
      );
      expect(decided).toMatchObject({
        status: "decided",
        decision_type: "reject",
        decided_by: "system:sla",
      });
      expect(decided.decision).toMatchObject({ reasons: ["sla_expired"] });
      expect(await events(review.review_id)).toEqual([
        "created:system",
        "escalated:system",
        "decided:system:sla",
      ]);
    });
  });

  describe("roles", () => {
    it("refuses missing and unknown keys with 401", async () => {
      expect((await h.call("GET", "/reviews")).status).toBe(401);
      const bad = await h.call("GET", "/reviews", undefined, {
        authorization: "Bearer so_reviewer_nope",
      });
      expect(bad.status).toBe(401);
      expect(bad.body.error.code).toBe("invalid_key");
      expect((await h.call("GET", "/healthz")).status).toBe(200);
      expect((await h.call("GET", "/openapi.json")).status).toBe(200);
    });

    it("allows each role where it belongs and refuses it elsewhere", async () => {
      const review = await pausedReview(QUESTIONS.unanswerable);
      const otherThread = await h.call("POST", "/threads", { question: "hello" }, as("client2"));
      const r = review.review_id;
      const endpoints: [string, string, unknown, ("client" | "reviewer" | "admin")[]][] = [
        ["POST", "/threads", { question: "Do gift cards expire?" }, ["client", "admin"]],
        ["GET", `/threads/${review.thread_id}`, undefined, ["client", "reviewer", "admin"]],
        ["GET", "/reviews", undefined, ["reviewer", "admin"]],
        ["GET", `/reviews/${r}`, undefined, ["reviewer", "admin"]],
        ["GET", `/reviews/${r}/events`, undefined, ["reviewer", "admin"]],
        ["POST", `/reviews/${r}/claim`, undefined, ["reviewer", "admin"]],
        ["POST", `/reviews/${r}/release`, undefined, ["reviewer", "admin"]],
        ["POST", "/documents", { title: "Roles doc", text: "Text for the roles test." }, ["admin"]],
        ["GET", "/keys", undefined, ["admin"]],
      ];
      const keyOf = { client: "client", reviewer: "alice", admin: "admin" } as const;
      for (const [method, url, body, allowed] of endpoints) {
        for (const role of ["client", "reviewer", "admin"] as const) {
          const res = await h.call(method, url, body, as(keyOf[role]));
          // Allowed: past the role check (a 409 from the claim rules is fine here).
          if (allowed.includes(role))
            expect([401, 403], `${role} ${method} ${url}`).not.toContain(res.status);
          else {
            expect(res.status, `${role} ${method} ${url}`).toBe(403);
            expect(res.body.error.code).toBe("forbidden");
          }
        }
      }
      const decision = await h.call(
        "POST",
        `/reviews/${r}/decision`,
        { type: "reject" },
        as("client"),
      );
      expect(decision.status).toBe(403);
      // A client reads only its own threads.
      const foreign = await h.call(
        "GET",
        `/threads/${otherThread.body.thread_id}`,
        undefined,
        as("client"),
      );
      expect(foreign.status).toBe(404);
      expect(
        (await h.call("GET", `/threads/${otherThread.body.thread_id}`, undefined, as("client2")))
          .status,
      ).toBe(200);
    });

    it("records the key's name as the actor, never a name from the body", async () => {
      const review = await pausedReview(QUESTIONS.unanswerable);
      const res = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "reject", actor: "mallory" },
        as("alice"),
      );
      expect(res.status).toBe(422); // unknown fields are refused outright
      const ok = await h.call(
        "POST",
        decisionPath(review.review_id),
        { type: "reject" },
        as("alice"),
      );
      expect(ok.body.review.decided_by).toBe("alice");
    });

    it("revoked keys stop working", async () => {
      const created = await h.call(
        "POST",
        "/keys",
        { name: "temp", role: "reviewer" },
        as("admin"),
      );
      const temp = { authorization: `Bearer ${created.body.key}` };
      expect((await h.call("GET", "/reviews", undefined, temp)).status).toBe(200);
      expect(
        (await h.call("DELETE", `/keys/${created.body.key_id}`, undefined, as("admin"))).status,
      ).toBe(200);
      expect((await h.call("GET", "/reviews", undefined, temp)).status).toBe(401);
      const stored = await db.pool.query("SELECT key_hash FROM api_keys WHERE name = 'temp'");
      expect(stored.rows[0].key_hash).not.toContain(created.body.key);
      expect(stored.rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    });
  });
});
