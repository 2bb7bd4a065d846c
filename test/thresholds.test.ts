import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { migrateBefore } from "./support/migrations.js";
import { threadResponse } from "../src/api/schemas.js";
import { clopperPearsonInterval } from "../src/evals/clopper-pearson.js";
import { approveThresholds, liveGateRate, proposeThresholds } from "../src/services/thresholds.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { createKeys, testEnv, useHarness, type Harness } from "./support/harness.js";
import { until } from "./support/until.js";
import { createRuntime } from "../src/runtime.js";
import { createLogger } from "../src/logger.js";
import { formatLiveSection, liveHtml, type LiveSection } from "../src/evals/report-live.js";

type Headers = Record<string, string>;

/** Asks as `who` and waits until the thread pauses or finishes. */
async function ask(h: Harness, who: Headers, question: string = QUESTIONS.answerable) {
  const res = await h.call("POST", "/threads?wait=20", { question }, who);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const thread = threadResponse.parse(res.body);
  expect(["completed", "awaiting_review"]).toContain(thread.status);
  return thread;
}

/** The run rows of a thread, oldest first: the version and pair that gated each. */
async function runsOf(h: Harness, threadId: string) {
  const { rows } = await h.db.pool.query<{
    kind: string;
    threshold_version_id: string | null;
    thresholds: { retrieval: number; judge: number } | null;
  }>(
    "SELECT kind, threshold_version_id, thresholds FROM runs WHERE thread_id = $1 ORDER BY created_at",
    [threadId],
  );
  return rows;
}

async function pendingReviewOf(h: Harness, who: Headers, threadId: string) {
  const thread = await h.call("GET", `/threads/${threadId}`, undefined, who);
  const pending = (thread.body.reviews as { review_id: string; status: string }[]).filter(
    (r) => r.status === "pending",
  );
  expect(pending).toHaveLength(1);
  const card = await h.call("GET", `/reviews/${pending[0]!.review_id}`, undefined, who);
  expect(card.status).toBe(200);
  return card.body;
}

async function decide(h: Harness, who: Headers, reviewId: string, decision: object) {
  const res = await h.call("POST", `/reviews/${reviewId}/decision?wait=20`, decision, who);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.thread as { status: string };
}

async function activeCount(h: Harness): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM gate_threshold_versions WHERE status = 'active'",
  );
  return rows[0]!.n;
}

describe("the two-sided Clopper-Pearson interval", () => {
  it("matches the exact interval's known values", () => {
    // 1 of 4: the exact 95% interval is [0.0063, 0.8059] (any table of exact binomial intervals).
    const one = clopperPearsonInterval(1, 4, 0.95);
    expect(one.rate).toBe(0.25);
    expect(one.lower).toBeCloseTo(0.00631, 5);
    expect(one.upper).toBeCloseTo(0.80588, 5);
    // 0 of 10: [0, 1 − 0.025^(1/10)]; n of n mirrors it.
    expect(clopperPearsonInterval(0, 10, 0.95)).toEqual({
      rate: 0,
      lower: 0,
      upper: expect.closeTo(1 - 0.025 ** 0.1, 12) as number,
    });
    expect(clopperPearsonInterval(10, 10, 0.95).lower).toBeCloseTo(0.025 ** 0.1, 12);
    expect(clopperPearsonInterval(0, 0, 0.9)).toEqual({ rate: null, lower: 0, upper: 1 });
    expect(() => clopperPearsonInterval(3, 2, 0.95)).toThrow(RangeError);
  });
});

describe.each(testDatabases)("the live loop ($name)", (kind) => {
  const h = useHarness(kind);
  let keys: Record<"ops" | "rita" | "carl", Headers>;

  it("counts users' first ratings of automatic answers in the live rate and /metrics", async () => {
    keys = await createKeys(h, { ops: "admin", rita: "reviewer", carl: "client" });
    const first = await ask(h, keys.carl);
    const second = await ask(h, keys.carl);
    expect([first.provenance, second.provenance]).toEqual(["auto", "auto"]);
    const rate = async (threadId: string, rating: number) => {
      const res = await h.call("POST", `/threads/${threadId}/feedback`, { rating }, keys.carl);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    };
    await rate(first.thread_id, 2); // a labelled error
    await rate(second.thread_id, 4);
    await rate(second.thread_id, 1); // a second rating of the same answer changes nothing

    const live = await h.call("GET", "/gate/live", undefined, keys.rita);
    expect(live.status, JSON.stringify(live.body)).toBe(200);
    const low = (live.body.tiers as { risk_tier: string }[]).find((t) => t.risk_tier === "low");
    expect(low).toEqual({
      risk_tier: "low",
      audit: { trials: 0, wrong: 0 },
      feedback: { trials: 2, wrong: 1 },
      trials: 2,
      wrong: 1,
      ...clopperPearsonInterval(1, 2, 0.95),
    });
    expect(live.body).toMatchObject({
      window_days: 30,
      confidence: 0.95,
      active_version: null,
      thresholds: { retrieval: 0.5, judge: 0.6 },
    });

    const metrics = await h.call("GET", "/metrics", undefined, keys.ops);
    expect(metrics.body).toContain('signoff_gate_wrong_auto_answer_ratio{risk_tier="low"} 0.5');
    expect(metrics.body).toContain(
      `signoff_gate_wrong_auto_answer_ratio_upper{risk_tier="low"} ${clopperPearsonInterval(1, 2, 0.95).upper}`,
    );
    expect(metrics.body).toContain(
      'signoff_gate_labelled_auto_answers{risk_tier="low",source="feedback"} 2',
    );
    expect(metrics.body).toContain("signoff_gate_threshold_version 0");
    expect(metrics.body).toContain('signoff_gate_threshold{gate="judge"} 0.6');
  });

  it("lets only admins propose and decide, and refuses bad input with 4xx", async () => {
    for (const who of [keys.rita, keys.carl]) {
      expect((await h.call("GET", "/thresholds", undefined, who)).status).toBe(403);
      expect((await h.call("POST", "/thresholds/proposals", {}, who)).status).toBe(403);
      const some = "3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41";
      expect((await h.call("POST", `/thresholds/${some}/approve`, {}, who)).status).toBe(403);
    }
    expect((await h.call("GET", "/gate/live", undefined, keys.carl)).status).toBe(403);

    const bad = async (method: string, path: string, body: unknown, status: number) => {
      const res = await h.call(method, path, body, keys.ops);
      expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.body.error.code).toEqual(expect.any(String));
    };
    await bad("POST", "/thresholds/not-a-uuid/approve", {}, 400);
    await bad("POST", "/thresholds/3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41/approve", {}, 404);
    await bad("POST", "/thresholds/3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41/reject", {}, 404);
    await bad("GET", "/thresholds/3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41", undefined, 404);
    await bad("POST", "/thresholds/proposals", { target: 2 }, 422);
    await bad("POST", "/thresholds/proposals", { thresholds: { retrieval: 1.5, judge: 0 } }, 422);
    await bad("POST", "/thresholds/proposals", { surprise: true }, 422);
    await bad("GET", "/gate/live?confidence=1", undefined, 400);
    await bad("GET", "/thresholds?limit=0", undefined, 400);
    // Two labels cannot certify 2% at 95% confidence: no proposal, and it says why.
    const refused = await h.call("POST", "/thresholds/proposals", {}, keys.ops);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("not_certified");
    expect((await h.call("GET", "/thresholds", undefined, keys.ops)).body.versions).toEqual([]);
  });

  it("gates nothing with a proposal, and the next run with an approved version, recording who approved it", async () => {
    const before = await ask(h, keys.carl);
    expect(before.provenance).toBe("auto");
    expect(await runsOf(h, before.thread_id)).toEqual([
      { kind: "start", threshold_version_id: null, thresholds: { retrieval: 0.5, judge: 0.6 } },
    ]);

    // Stricter than any score the sample answer gets: it must go to a human under these.
    const proposed = await h.call(
      "POST",
      "/thresholds/proposals",
      { thresholds: { retrieval: 1, judge: 1 }, comment: "hold everything" },
      { ...keys.ops, "idempotency-key": "strict-1" },
    );
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
    expect(proposed.body).toMatchObject({
      status: "proposed",
      proposed_by: "ops",
      decided_by: null,
      thresholds: { retrieval: 1, judge: 1 },
      evidence: {
        basis: "manual",
        labels: { feedback: 2 },
        current: { retrieval: 0.5, judge: 0.6 },
      },
    });
    const id = proposed.body.version_id as string;
    const again = await h.call(
      "POST",
      "/thresholds/proposals",
      { thresholds: { retrieval: 1, judge: 1 } },
      { ...keys.ops, "idempotency-key": "strict-1" },
    );
    expect([again.status, again.body.version_id]).toEqual([200, id]);

    const whileProposed = await ask(h, keys.carl);
    expect(whileProposed.provenance).toBe("auto");
    expect((await runsOf(h, whileProposed.thread_id))[0]!.threshold_version_id).toBeNull();

    const approved = await h.call(
      "POST",
      `/thresholds/${id}/approve`,
      { comment: "audit week" },
      keys.ops,
    );
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({
      changed: true,
      superseded: null,
      version: { status: "active", decided_by: "ops", decision_comment: "audit week" },
    });

    const after = await ask(h, keys.carl);
    expect(after.status).toBe("awaiting_review");
    expect(await runsOf(h, after.thread_id)).toEqual([
      { kind: "start", threshold_version_id: id, thresholds: { retrieval: 1, judge: 1 } },
    ]);
    const card = await pendingReviewOf(h, keys.rita, after.thread_id);
    expect(card.card.retrieval.threshold).toBe(1);

    // Approving again changes nothing and writes nothing; the trail says who did what.
    const repeat = await h.call("POST", `/thresholds/${id}/approve`, {}, keys.ops);
    expect([repeat.status, repeat.body.changed]).toEqual([200, false]);
    const trail = await h.call("GET", `/thresholds/${id}`, undefined, keys.ops);
    expect(trail.status).toBe(200);
    expect(
      (trail.body.events as { type: string; actor: string }[]).map((e) => [e.type, e.actor]),
    ).toEqual([
      ["proposed", "ops"],
      ["approved", "ops"],
    ]);
    expect(trail.body.events[1].after).toMatchObject({
      status: "active",
      thresholds: { retrieval: 1, judge: 1 },
    });
    const list = await h.call("GET", "/thresholds", undefined, keys.ops);
    expect(list.body.active.version_id).toBe(id);
    const metrics = await h.call("GET", "/metrics", undefined, keys.ops);
    expect(metrics.body).toContain(
      `signoff_gate_threshold_version ${approved.body.version.version}`,
    );
    expect(metrics.body).toContain('signoff_gate_threshold{gate="retrieval"} 1');
  });

  it("never applies a rejected proposal, and cannot approve it afterwards", async () => {
    const lenient = await h.call(
      "POST",
      "/thresholds/proposals",
      { thresholds: { retrieval: 0, judge: 0 } },
      keys.ops,
    );
    expect(lenient.status).toBe(201);
    const id = lenient.body.version_id as string;
    const rejected = await h.call(
      "POST",
      `/thresholds/${id}/reject`,
      { comment: "too lax" },
      keys.ops,
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      changed: true,
      version: { status: "rejected", decided_by: "ops", decision_comment: "too lax" },
    });
    expect((await h.call("POST", `/thresholds/${id}/reject`, {}, keys.ops)).body.changed).toBe(
      false,
    );
    const late = await h.call("POST", `/thresholds/${id}/approve`, {}, keys.ops);
    expect([late.status, late.body.error.code]).toEqual([409, "threshold_version_decided"]);

    // The strict version is still the one gating: the sample question still goes to a human.
    const thread = await ask(h, keys.carl);
    expect(thread.status).toBe("awaiting_review");
    const [run] = await runsOf(h, thread.thread_id);
    expect(run!.thresholds).toEqual({ retrieval: 1, judge: 1 });
    const active = (await h.call("GET", "/thresholds", undefined, keys.ops)).body.active;
    expect(active.thresholds).toEqual({ retrieval: 1, judge: 1 });
    const trail = await h.call("GET", `/thresholds/${id}`, undefined, keys.ops);
    expect((trail.body.events as { type: string }[]).map((e) => e.type)).toEqual([
      "proposed",
      "rejected",
    ]);
  });

  it("leaves exactly one active version however approvals race, and back to auto under it", async () => {
    const deps = h.runtime.thresholdDeps;
    const admin = { name: "ops" };
    const propose = (judge: number) =>
      proposeThresholds(deps, { thresholds: { retrieval: 0.5, judge } }, admin);
    const [a, b, c] = await Promise.all([propose(0.6), propose(0.61), propose(0.62)]);
    // The same version approved twice at once: one approval, one no-op. (Raced together with
    // the others, it could be superseded between the two, and the second would be a 409.)
    const twice = await Promise.all([
      approveThresholds(deps, c.version.version_id, admin),
      approveThresholds(deps, c.version.version_id, { name: "someone-else" }),
    ]);
    expect(twice.map((r) => r.changed).sort()).toEqual([false, true]);
    // Two different versions approved at once: both approvals hold, one after the other.
    await Promise.all([
      approveThresholds(deps, a.version.version_id, admin),
      approveThresholds(deps, b.version.version_id, admin),
    ]);
    expect(await activeCount(h)).toBe(1);
    const { rows } = await h.db.pool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM gate_threshold_versions GROUP BY status ORDER BY status",
    );
    // The strict one and two of the three new ones were superseded, one rejected earlier.
    expect(rows).toEqual([
      { status: "active", n: 1 },
      { status: "rejected", n: 1 },
      { status: "superseded", n: 3 },
    ]);
    const approvals = await h.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE type = 'approved' AND subject_id = $1",
      [c.version.version_id],
    );
    expect(approvals.rows[0]!.n).toBe(1);
    // The database itself refuses a second active version.
    await expect(
      h.db.pool.query(
        "UPDATE gate_threshold_versions SET status = 'active' WHERE status = 'superseded'",
      ),
    ).rejects.toThrow(/gate_threshold_versions_one_active/);

    // Whichever won, it is as lenient as the environment's pair for the sample answer.
    const thread = await ask(h, keys.carl);
    expect(thread.provenance).toBe("auto");
    const active = (await h.call("GET", "/thresholds", undefined, keys.ops)).body.active;
    expect((await runsOf(h, thread.thread_id))[0]!.threshold_version_id).toBe(active.version_id);
  });
});

describe.each(testDatabases)("the live rate from audit samples ($name)", (kind) => {
  // Every answer that passes the gates is an audit sample.
  const h = useHarness(kind, { env: { AUDIT_SAMPLE_RATE: "1" } });

  it("counts each audit sample's first draft once: wrong unless approved as it was", async () => {
    const open: Headers = {};
    const samples = [];
    for (let i = 0; i < 5; i++) {
      const thread = await ask(h, open);
      expect(thread.status).toBe("awaiting_review");
      const card = await pendingReviewOf(h, open, thread.thread_id);
      expect(card.card.audit_sample).toBe(true);
      samples.push({ thread, card });
    }
    for (const { card } of samples.slice(0, 3)) {
      expect((await decide(h, open, card.review_id, { type: "approve" })).status).toBe("completed");
    }
    await decide(h, open, samples[3]!.card.review_id, { type: "reject", reasons: ["incorrect"] });
    // Sent back for a revision (wrong), then the revised draft approved: that one is not counted.
    const revised = await decide(h, open, samples[4]!.card.review_id, {
      type: "revise",
      instructions: "say how many days exactly",
    });
    expect(revised.status).toBe("awaiting_review");
    const second = await pendingReviewOf(h, open, samples[4]!.thread.thread_id);
    expect(second.card.revision.count).toBe(1);
    await decide(h, open, second.review_id, { type: "approve" });

    const live = await h.call("GET", "/gate/live?confidence=0.9&window_days=7");
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ window_days: 7, confidence: 0.9 });
    expect(live.body.tiers).toEqual([
      {
        risk_tier: "low",
        audit: { trials: 5, wrong: 2 },
        feedback: { trials: 0, wrong: 0 },
        trials: 5,
        wrong: 2,
        ...clopperPearsonInterval(2, 5, 0.9),
      },
    ]);

    // The kept counts agree with a recount from the reviews themselves.
    const { rows } = await h.db.pool.query<{ trials: number; wrong: number }>(
      `SELECT count(*)::int AS trials, count(*) FILTER (WHERE decision_type <> 'approve')::int AS wrong
       FROM reviews WHERE trigger ->> 'audit_sample' = 'true'
         AND interrupt -> 'card' -> 'revision' ->> 'count' = '0' AND status = 'decided'`,
    );
    expect(rows[0]).toEqual({ trials: 5, wrong: 2 });

    // The same labels feed a proposal: five cannot certify 2%, and the refusal shows the counts.
    const refused = await h.call("POST", "/thresholds/proposals", { window_days: 7 });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.labels).toEqual({
      review: 0,
      audit: 5,
      feedback: 0,
      wrong: 2,
    });
  });
});

describe.each(testDatabases.filter((k) => k.name === "postgres"))(
  "an approval reaches other processes ($name)",
  (kind) => {
    const h = useHarness(kind, { worker: false });

    it("invalidates another runtime's cached thresholds through NOTIFY", async () => {
      // Another process on the same database, caching for an hour: only a notification can
      // make it read again.
      const other = await createRuntime({
        env: testEnv({ THRESHOLDS_CACHE_SECONDS: "3600" }),
        logger: createLogger("silent"),
        database: h.db,
        startWorker: false,
      });
      try {
        const cache = other.executorDeps.thresholds!;
        expect((await cache.current()).version_id).toBeNull();
        const deps = h.runtime.thresholdDeps;
        const { version } = await proposeThresholds(
          deps,
          { thresholds: { retrieval: 0.7, judge: 0.8 } },
          { name: "ops" },
        );
        expect((await cache.current()).version_id).toBeNull(); // a proposal notifies nobody
        await approveThresholds(deps, version.version_id, { name: "ops" });
        await until(
          async () => (await cache.current()).version_id === version.version_id,
          "the other runtime to read the approved version",
        );
        expect((await cache.current()).thresholds).toEqual({ retrieval: 0.7, judge: 0.8 });
      } finally {
        await other.close();
      }
    });
  },
);

describe("the eval report's live section", () => {
  it("shows each tier's rate, interval and sources, and says how to add it when absent", () => {
    const live: LiveSection = {
      database: "pglite ./.data/pgdata",
      window_days: 30,
      confidence: 0.95,
      active_version: 3,
      thresholds: { retrieval: 0.55, judge: 0.7 },
      tiers: [
        {
          risk_tier: "low",
          audit: { trials: 40, wrong: 1 },
          feedback: { trials: 10, wrong: 2 },
          trials: 50,
          wrong: 3,
          ...clopperPearsonInterval(3, 50, 0.95),
        },
      ],
    };
    const html = liveHtml(live);
    expect(html).toContain("gated by version 3 (retrieval 0.55, judge 0.7)");
    expect(html).toContain(
      `<td class="n">3/50</td><td class="n">6.0%</td><td class="n">1.3% – 16.5%</td><td class="n">1/40</td><td class="n">2/10</td>`,
    );
    expect(formatLiveSection(live)).toContain(
      "low: 3/50 (6.0%; 1.3% to 16.5% at 95%), audit 1/40, feedback 2/10",
    );
    expect(liveHtml(null)).toContain("npm run evals -- --live");
  });
});

describe.each(testDatabases)("migration 0011 on a database with labels ($name)", (kind) => {
  let db: Database;
  beforeAll(async () => {
    db = await kind.open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("backfills the live counts from the audit decisions and ratings already there", async () => {
    await migrateBefore(db.pool, 11);
    // Threads 1–40: 1–20 audit samples decided (every fourth rejected, 19 and 20 revised drafts
    // that do not count, 18 by the SLA sweeper); 21–40 automatic answers, rated twice each (only
    // the first counts): 1–2 for every fifth.
    await db.pool.query(
      `INSERT INTO threads (thread_id, question, status, provenance, risk_tier)
       SELECT md5('t' || i)::uuid, 'q', 'completed', CASE WHEN i > 20 THEN 'auto' ELSE 'approved' END, 'low'
       FROM generate_series(1, 40) i`,
    );
    await db.pool.query(
      `INSERT INTO reviews (thread_id, interrupt_id, stage, status, risk_tier, reason, trigger,
         interrupt, decision_type, decided_by, decided_at)
       SELECT md5('t' || i)::uuid, 'old-' || i, 'answer', 'decided', 'low', 'audit',
         '{"audit_sample": true}',
         jsonb_build_object('card', jsonb_build_object('revision',
           jsonb_build_object('count', CASE WHEN i >= 19 THEN 1 ELSE 0 END))),
         CASE WHEN i % 4 = 0 THEN 'reject' ELSE 'approve' END,
         CASE WHEN i = 18 THEN 'system:sla' ELSE 'ann' END, now()
       FROM generate_series(1, 20) i`,
    );
    await db.pool.query(
      `INSERT INTO feedback (thread_id, source, rating, actor, created_at)
       SELECT md5('t' || i)::uuid, 'user', CASE WHEN i % 5 = 0 THEN 2 ELSE 4 END, 'u', now() - interval '1 minute'
       FROM generate_series(21, 40) i
       UNION ALL
       SELECT md5('t' || i)::uuid, 'user', 1, 'u', now() FROM generate_series(21, 40) i`,
    );
    const { applied } = await migrate(db.pool);
    expect(applied[0]).toBe("0011_gate_thresholds");
    const live = await liveGateRate(db.pool, 30, 0.95);
    // Audit: 1–17 (18 is the SLA's, 19–20 revisions), rejected 4, 8, 12, 16; feedback: 20
    // threads, 25, 30, 35, 40 rated 2 first.
    expect(live.tiers).toEqual([
      expect.objectContaining({
        risk_tier: "low",
        audit: { trials: 17, wrong: 4 },
        feedback: { trials: 20, wrong: 4 },
      }),
    ]);
  });
});
