import { describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";
import { ask, decide, pendingReview, QUESTIONS } from "./support/flow.js";
import { DEFAULT_SETTINGS } from "../src/graph/configuration.js";

describe.each(testDatabases)("graph routes and decisions over HTTP ($name)", (kind) => {
  const h = useHarness(kind);

  describe("routes without a human", () => {
    it("answers a well-covered low-risk question on its own (provenance auto)", async () => {
      const thread = await ask(h, QUESTIONS.answerable);
      expect(thread.status).toBe("completed");
      expect(thread.provenance).toBe("auto");
      expect(thread.answer).toContain("30 days");
      expect(thread.answer_provider).toBe("offline-extractive");
      expect(thread.citations?.[0]?.title).toBe("Returns Policy");
      expect(thread.reviews).toEqual([]);
    });

    it("refuses a request the policy blocks, without retrieval or review", async () => {
      const thread = await ask(h, QUESTIONS.blocked);
      expect(thread.status).toBe("completed");
      expect(thread.provenance).toBe("fallback");
      expect(thread.risk_tier).toBe("blocked");
      expect(thread.reviews).toEqual([]);
    });
  });

  describe("retrieval review", () => {
    it("pauses with an Agent Inbox interrupt that says why in plain words", async () => {
      const thread = await ask(h, QUESTIONS.unanswerable);
      expect(thread.status).toBe("awaiting_review");
      const review = await pendingReview(h, thread);
      expect(review.stage).toBe("retrieval");
      expect(review.reason).toMatch(/^retrieval score 0\.\d\d is under 0\.50$/);
      expect(review.interrupt.action_request.action).toBe("review_retrieval");
      // Only what a reviewer may edit is in `args` (Agent Inbox makes every key a form field).
      expect(review.interrupt.action_request.args).toEqual({
        chunk_ids: review.card.retrieval.passages.map((p) => p.chunk_id),
      });
      expect(review.interrupt.config).toEqual({
        allow_accept: true,
        allow_edit: true,
        allow_respond: true,
        allow_ignore: true,
      });
      expect(review.interrupt.description).toContain(review.reason);
      // Stored once: the row keeps the card, the API makes the rest of the payload from it, and
      // it is the interrupt the graph raised (the checkpoint's, as Agent Inbox reads it).
      const stored = await h.db.pool.query<{ interrupt: Record<string, unknown> }>(
        "SELECT interrupt FROM reviews WHERE review_id = $1",
        [review.review_id],
      );
      expect(Object.keys(stored.rows[0]!.interrupt)).toEqual(["card"]);
      const state = await h.runtime.graph.getState({
        configurable: { thread_id: thread.thread_id },
      });
      const raised = state.tasks.flatMap((t) => t.interrupts.map((i) => i.value as unknown));
      expect(raised).toEqual([review.interrupt]);
      expect(review.trigger).toMatchObject({ stage: "retrieval", retrieval_threshold: 0.5 });
      expect(review.card.draft).toBeNull();
    });

    it("approve: generates from the evidence as it is", async () => {
      const review = await pendingReview(h, await ask(h, QUESTIONS.unanswerable));
      const after = await decide(h, review.review_id, { type: "approve" });
      // Nothing relevant was retrieved, so the draft has no citations and goes to answer review.
      expect(after.status).toBe("awaiting_review");
      const answerReview = await pendingReview(h, after);
      expect(answerReview.stage).toBe("answer");
      expect(answerReview.card.judge?.flags).toContain("missing_citations");
      const done = await decide(h, answerReview.review_id, { type: "approve" });
      expect(done.status).toBe("completed");
      expect(done.provenance).toBe("approved");
    });

    it("edit: generation uses exactly the passages the reviewer chose", async () => {
      const returns = await pendingReview(
        h,
        await ask(h, "Is there a restocking charge for returns of unused kit?"),
      );
      const review = await pendingReview(h, await ask(h, QUESTIONS.unanswerable));
      const chosen = returns.card.retrieval.passages.slice(0, 1).map((p) => p.chunk_id);
      expect(chosen).toHaveLength(1);
      const after = await decide(h, review.review_id, { type: "edit", chunk_ids: chosen });
      const answerReview = await pendingReview(h, after);
      expect(answerReview.card.retrieval.passages.map((p) => p.chunk_id)).toEqual(chosen);
    });

    it("respond: the reviewer's own answer is sent (provenance human)", async () => {
      const review = await pendingReview(h, await ask(h, QUESTIONS.unanswerable));
      const done = await decide(h, review.review_id, {
        type: "respond",
        answer: "Ulaanbaatar is the capital of Mongolia.",
      });
      expect(done.status).toBe("completed");
      expect(done.provenance).toBe("human");
      expect(done.answer).toBe("Ulaanbaatar is the capital of Mongolia.");
    });

    it("reject: the user gets the safe fallback reply", async () => {
      const review = await pendingReview(h, await ask(h, QUESTIONS.unanswerable));
      const done = await decide(h, review.review_id, { type: "reject", reasons: ["out of scope"] });
      expect(done.status).toBe("completed");
      expect(done.provenance).toBe("fallback");
      expect(done.answer).toBe(DEFAULT_SETTINGS.fallbackAnswer);
    });

    it("revise: searches again with the reviewer's hints", async () => {
      const review = await pendingReview(h, await ask(h, QUESTIONS.unanswerable));
      const after = await decide(h, review.review_id, {
        type: "revise",
        instructions: "returns policy unused items delivery",
      });
      const next = await pendingReview(h, after);
      expect(next.review_id).not.toBe(review.review_id);
      expect(next.card.revision.count).toBe(1);
      expect(next.card.retrieval.passages.map((p) => p.title)).toContain("Returns Policy");
    });
  });

  describe("answer review", () => {
    it("pauses a high-risk answer even when the judge is happy", async () => {
      const thread = await ask(h, QUESTIONS.highRisk);
      const review = await pendingReview(h, thread);
      expect(review.stage).toBe("answer");
      expect(review.risk_tier).toBe("high");
      expect(review.reason).toContain("high-risk topic");
      expect(review.card.draft?.citations.length).toBeGreaterThan(0);
      expect(review.card.judge?.score).toBeGreaterThanOrEqual(0);
      expect(review.interrupt.action_request.action).toBe("review_answer");
      expect(review.interrupt.action_request.args).toEqual({ answer: review.card.draft?.text });
    });

    it.each([
      [{ type: "approve" }, "approved"],
      [{ type: "edit", answer: "Adults: at most 4,000 mg of paracetamol in 24 hours." }, "edited"],
      [{ type: "respond", answer: "Please ask your pharmacist." }, "human"],
      [{ type: "reject", reasons: ["needs a clinician"] }, "fallback"],
    ])("%o ends with provenance %s", async (decision, provenance) => {
      const review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
      const done = await decide(h, review.review_id, decision);
      expect(done.status).toBe("completed");
      expect(done.provenance).toBe(provenance);
      if (provenance === "approved") expect(done.answer).toBe(review.card.draft?.text);
      if ("answer" in decision) expect(done.answer).toBe(decision.answer);
      if (provenance === "approved") expect(done.citations?.length).toBeGreaterThan(0);
    });

    it("revise: loops back to generation, bounded by the revision limit", async () => {
      let review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
      for (let round = 1; round <= 2; round++) {
        const after = await decide(h, review.review_id, {
          type: "revise",
          instructions: "mention liver disease",
        });
        review = await pendingReview(h, after);
        expect(review.card.revision.count).toBe(round);
        expect(review.reason).toContain(`revised draft ${round} of 2`);
      }
      expect(review.card.draft?.text.toLowerCase()).toContain("liver disease");
      expect(review.card.allowed_decisions).not.toContain("revise");
      const refused = await h.call("POST", `/reviews/${review.review_id}/decision`, {
        type: "revise",
        instructions: "again",
      });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe("decision_not_allowed");
      const done = await decide(h, review.review_id, { type: "approve" });
      expect(done.provenance).toBe("approved");
    });

    it("accepts Agent Inbox-style decisions only through our schema", async () => {
      const review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
      const res = await h.call("POST", `/reviews/${review.review_id}/decision`, {
        type: "accept",
        args: null,
      });
      expect(res.status).toBe(422);
    });
  });

  it("stores each decision with its trigger, reasons, edit and timestamps", async () => {
    const review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
    await decide(h, review.review_id, {
      type: "edit",
      answer: "Do not exceed 4,000 mg in 24 hours.",
      reasons: ["quoted the wrong sentence"],
      comment: "fixed",
      root_cause: "unfaithful_generation",
    });
    const { rows } = await h.db.pool.query(
      "SELECT f.*, r.decided_at, r.decided_by FROM feedback f JOIN reviews r USING (review_id) WHERE review_id = $1",
      [review.review_id],
    );
    expect(rows).toHaveLength(1);
    const f = rows[0];
    expect(f).toMatchObject({
      source: "review",
      stage: "answer",
      decision_type: "edit",
      reasons: ["quoted the wrong sentence"],
      comment: "fixed",
      root_cause: "unfaithful_generation",
      correction: "Do not exceed 4,000 mg in 24 hours.",
      decided_by: "anonymous",
    });
    expect(f.context.trigger.risk_tier).toBe("high");
    expect(f.context.draft).toBe(review.card.draft?.text);
    expect(f.context.passages.length).toBe(review.card.retrieval.passages.length);
    expect(f.decided_at).toBeInstanceOf(Date);
    const events = await h.db.pool.query(
      "SELECT type, actor FROM review_events WHERE review_id = $1 ORDER BY event_id",
      [review.review_id],
    );
    expect(events.rows).toEqual([
      { type: "created", actor: "system" },
      { type: "decided", actor: "anonymous" },
    ]);
  });
});
