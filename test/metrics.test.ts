import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { ask, decide, pendingReview, QUESTIONS } from "./support/flow.js";

function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.trim().split("\n")) {
    if (line.startsWith("#")) {
      expect(line).toMatch(/^# (HELP|TYPE) signoff_\w+ .+$/);
      continue;
    }
    const match = /^(signoff_\w+(?:\{[^}]*\})?) (-?[\d.e+-]+)$/.exec(line);
    expect(match, `malformed sample line: ${line}`).not.toBeNull();
    samples.set(match![1]!, Number(match![2]));
  }
  return samples;
}

describe.each(testDatabases)("GET /metrics ($name)", (kind) => {
  let db: Database;
  let h: Harness;
  beforeAll(async () => {
    db = await kind.open();
    h = await startHarness(db);
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });

  it("reports queue depth, latencies, decisions, escalations and the auto-answer rate", async () => {
    await ask(h, QUESTIONS.answerable);
    await ask(h, QUESTIONS.unanswerable);
    const review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
    await h.call("POST", `/reviews/${review.review_id}/claim`);
    await decide(h, review.review_id, { type: "approve" });

    const res = await h.app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const m = parse(await res.text());
    expect(
      m.get('signoff_review_queue_depth{stage="retrieval",risk_tier="low",queue="main"}'),
    ).toBe(1);
    expect(m.get('signoff_review_decisions_total{stage="answer",type="approve",by="human"}')).toBe(
      1,
    );
    expect(m.get('signoff_review_time_to_decision_seconds_count{stage="answer"}')).toBe(1);
    expect(m.get('signoff_review_time_to_decision_seconds_bucket{stage="answer",le="+Inf"}')).toBe(
      1,
    );
    expect(m.get('signoff_review_time_to_claim_seconds_bucket{stage="answer",le="60"}')).toBe(1);
    expect(m.get('signoff_threads{status="completed",provenance="auto"}')).toBe(1);
    expect(m.get("signoff_auto_answer_ratio{}") ?? m.get("signoff_auto_answer_ratio")).toBe(0.5);
    expect(m.get('signoff_runs_pending{status="queued"}')).toBe(0);
  });
});
