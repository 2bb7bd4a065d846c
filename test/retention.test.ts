import { describe, expect, it } from "vitest";
import { parseEnv } from "../src/env.js";
import {
  retentionPolicyFromEnv,
  runRetention,
  type RetentionPolicy,
} from "../src/runs/retention.js";
import { Sweeper } from "../src/runs/sweeper.js";
import { testDatabases } from "./support/databases.js";
import { testEnv, useHarness, type Harness } from "./support/harness.js";
import { capturedLog } from "./support/log-lines.js";
import { ask, decide, pendingReview, QUESTIONS, threadOf } from "./support/flow.js";

const DAY_MS = 86_400_000;

/** Nothing deleted unless a test asks for it. */
function policy(overrides: Partial<RetentionPolicy>): RetentionPolicy {
  return {
    runsDays: 0,
    outboxDays: 0,
    checkpointsDays: 0,
    reviewEventsDays: 0,
    batchSize: 500,
    maxBatches: 20,
    ...overrides,
  };
}

const countRows = async (h: Harness, sql: string, params: unknown[] = []): Promise<number> =>
  Number((await h.db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);

async function reviewEvents(h: Harness, reviewId: string) {
  const res = await h.call("GET", `/reviews/${reviewId}/events`);
  expect(res.status).toBe(200);
  return res.body.items as { type: string; actor: string }[];
}

describe("retention configuration", () => {
  it("has defaults, keeps the audit trail forever unless asked, and reads 0 as keep forever", () => {
    expect(retentionPolicyFromEnv(parseEnv({}))).toEqual({
      runsDays: 30,
      outboxDays: 30,
      checkpointsDays: 7,
      reviewEventsDays: 0,
      batchSize: 500,
      maxBatches: 20,
    });
    const off = parseEnv({
      RETENTION_RUNS_DAYS: "0",
      RETENTION_OUTBOX_DAYS: "0",
      RETENTION_CHECKPOINTS_DAYS: "0",
      RETENTION_REVIEW_EVENTS_DAYS: "0.5",
    });
    expect(retentionPolicyFromEnv(off)).toMatchObject({
      runsDays: 0,
      outboxDays: 0,
      checkpointsDays: 0,
      reviewEventsDays: 0.5,
    });
    expect(() => parseEnv({ RETENTION_RUNS_DAYS: "-1" })).toThrow(/RETENTION_RUNS_DAYS/);
    expect(() => parseEnv({ RETENTION_BATCH_SIZE: "0" })).toThrow(/RETENTION_BATCH_SIZE/);
  });
});

describe.each(testDatabases)("retention ($name)", (kind) => {
  // Every step checkpointed: the longest histories, the ones pruning is for.
  const h = useHarness(kind, { env: { CHECKPOINT_DURABILITY: "async" } });

  const count = (sql: string, params: unknown[] = []) => countRows(h, sql, params);

  /** Rows a thread has in each checkpoint table, and checkpoints per namespace. */
  async function checkpointRows(threadId: string) {
    const where = [threadId];
    return {
      checkpoints: await count("SELECT count(*) AS n FROM checkpoints WHERE thread_id = $1", where),
      writes: await count(
        "SELECT count(*) AS n FROM checkpoint_writes WHERE thread_id = $1",
        where,
      ),
      blobs: await count("SELECT count(*) AS n FROM checkpoint_blobs WHERE thread_id = $1", where),
      perNamespace: (
        await h.db.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM checkpoints WHERE thread_id = $1 GROUP BY checkpoint_ns",
          where,
        )
      ).rows.map((r) => Number(r.n)),
    };
  }

  /** Blobs the thread's latest checkpoint names but that are missing, and blobs nothing names. */
  async function blobIntegrity(threadId: string) {
    const { rows } = await h.db.pool.query<{ missing: string; unreferenced: string }>(
      `WITH latest AS (
         SELECT DISTINCT ON (checkpoint_ns) checkpoint_ns, checkpoint FROM checkpoints
         WHERE thread_id = $1 ORDER BY checkpoint_ns, checkpoint_id DESC),
       named AS (
         SELECT l.checkpoint_ns, v.key AS channel, v.value AS version
         FROM latest l, jsonb_each_text(l.checkpoint -> 'channel_versions') v)
       SELECT
         (SELECT count(*) FROM named n WHERE NOT EXISTS (
            SELECT 1 FROM checkpoint_blobs b WHERE b.thread_id = $1
              AND b.checkpoint_ns = n.checkpoint_ns AND b.channel = n.channel
              AND b.version = n.version)) AS missing,
         (SELECT count(*) FROM checkpoint_blobs b WHERE b.thread_id = $1 AND NOT EXISTS (
            SELECT 1 FROM checkpoints c WHERE c.thread_id = b.thread_id
              AND c.checkpoint_ns = b.checkpoint_ns
              AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version)) AS unreferenced`,
      [threadId],
    );
    return { missing: Number(rows[0]!.missing), unreferenced: Number(rows[0]!.unreferenced) };
  }

  async function stateOf(threadId: string) {
    const snapshot = await h.runtime.graph.getState({ configurable: { thread_id: threadId } });
    return {
      values: snapshot.values as unknown,
      next: snapshot.next,
      tasks: snapshot.tasks,
      checkpointId: snapshot.config.configurable?.checkpoint_id as unknown,
      createdAt: snapshot.createdAt,
    };
  }

  async function insertRun(
    threadId: string,
    run: { status: string; finishedDaysAgo?: number; createdDaysAgo?: number },
  ): Promise<string> {
    const { rows } = await h.db.pool.query<{ run_id: string }>(
      `INSERT INTO runs (thread_id, kind, status, attempts, worker_id, lease_until, available_at,
         created_at, finished_at)
       VALUES ($1, 'start', $2, 1,
         CASE WHEN $2 = 'running' THEN 'ghost' END,
         -- A live lease and a far-off start: the harness's worker must not take these runs.
         CASE WHEN $2 = 'running' THEN now() + interval '1 year' END,
         now() + interval '1 year',
         now() - make_interval(days => $3),
         CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END)
       RETURNING run_id`,
      [threadId, run.status, run.createdDaysAgo ?? 0, run.finishedDaysAgo ?? null],
    );
    return rows[0]!.run_id;
  }

  /** A webhook event settled (or created, if pending) some days ago, with delivery attempts. */
  async function insertEvent(
    state: "delivered" | "failed" | "pending",
    daysAgo: number,
    attempts: number,
  ): Promise<string> {
    const { rows } = await h.db.pool.query<{ event_id: string }>(
      `INSERT INTO outbox (event_type, payload, created_at, attempts, next_attempt_at,
         delivered_at, failed_at)
       VALUES ('test.event', '{}', now() - make_interval(days => $2), $3,
         now() + interval '1 year',
         CASE WHEN $1 = 'delivered' THEN now() - make_interval(days => $2) END,
         CASE WHEN $1 = 'failed' THEN now() - make_interval(days => $2) END)
       RETURNING event_id`,
      [state, daysAgo, attempts],
    );
    const eventId = rows[0]!.event_id;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await h.db.pool.query(
        `INSERT INTO webhook_deliveries (event_id, url, attempt, status_code, duration_ms, at)
         VALUES ($1, 'http://receiver.test/hook', $2, 200, 5, now() - make_interval(days => $3))`,
        [eventId, attempt, daysAgo],
      );
    }
    return eventId;
  }

  const eventsOf = (reviewId: string) => reviewEvents(h, reviewId);

  /** A new thread awaiting review of its answer. */
  async function askPaused(): Promise<string> {
    const pausedThread = await ask(h, QUESTIONS.highRisk);
    expect(pausedThread.status).toBe("awaiting_review");
    return pausedThread.thread_id;
  }

  /** New threads for a test of its own: each test makes the ones it looks at. */
  async function someThreads() {
    const answered = (await ask(h, QUESTIONS.answerable)).thread_id; // completed (runs aged by a test)
    const recent = (await ask(h, QUESTIONS.answerable)).thread_id; // completed just now
    const busy = (await ask(h, QUESTIONS.answerable)).thread_id; // completed, with runs in flight
    const paused = await askPaused(); // awaiting review
    // Old, but queued and running: never deleted, whatever their age.
    const busyRuns = [
      await insertRun(busy, { status: "queued", createdDaysAgo: 400 }),
      await insertRun(busy, { status: "running", createdDaysAgo: 400 }),
    ];
    return { answered, recent, busy, busyRuns, paused };
  }

  it("deletes old finished runs and settled webhook events with their deliveries, nothing else", async () => {
    const { answered, recent, busyRuns, paused } = await someThreads();

    // The answered thread's run finished a month ago, and an older attempt failed for good.
    await h.db.pool.query(
      "UPDATE runs SET finished_at = now() - interval '31 days' WHERE thread_id = ANY($1)",
      [[answered, paused]],
    );
    await insertRun(answered, { status: "failed", createdDaysAgo: 41, finishedDaysAgo: 40 });

    const oldDelivered = await insertEvent("delivered", 40, 2);
    const oldFailed = await insertEvent("failed", 35, 1);
    const recentDelivered = await insertEvent("delivered", 1, 1);
    const oldPending = await insertEvent("pending", 90, 3);

    const result = await runRetention(h.db.pool, policy({ runsDays: 30, outboxDays: 30 }));
    expect(result).toMatchObject({
      runs: 2,
      outbox: 2,
      webhook_deliveries: 3,
      review_events: 0,
      checkpoints: 0,
      threads_pruned: 0,
      capped: [],
    });

    const runsOf = (threadId: string) =>
      count("SELECT count(*) AS n FROM runs WHERE thread_id = $1", [threadId]);
    expect(await runsOf(answered)).toBe(0);
    expect(await runsOf(recent)).toBe(1);
    // The paused thread's finished start run is old, but its thread is not finished.
    expect(await runsOf(paused)).toBe(1);
    expect(
      await count("SELECT count(*) AS n FROM runs WHERE run_id = ANY($1::uuid[])", [busyRuns]),
    ).toBe(2);

    const left = (
      await h.db.pool.query<{ event_id: string }>("SELECT event_id FROM outbox ORDER BY event_id")
    ).rows.map((r) => r.event_id);
    expect(left).toEqual([recentDelivered, oldPending]);
    expect(left).not.toContain(oldDelivered);
    expect(left).not.toContain(oldFailed);
    expect(await count("SELECT count(*) AS n FROM webhook_deliveries")).toBe(4);

    // The thread itself is kept: the API still answers for it.
    const view = await threadOf(h, answered, 0);
    expect(view.status).toBe("completed");
    expect(view.answer).toBeTruthy();
  });

  it("prunes a completed thread's checkpoints to the last one; state, thread API and audit trail are unchanged", async () => {
    const paused = await askPaused();
    // Two reviews (a revision, then an approval): the longest history the graph writes.
    const first = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
    const threadId = first.thread_id;
    await decide(h, first.review_id, { type: "revise", instructions: "Cite the label." });
    const second = await pendingReview(h, { thread_id: threadId });
    const done = await decide(h, second.review_id, { type: "approve" });
    expect(done.status).toBe("completed");

    // Completed eight days ago: past the 7-day default. The other threads completed later.
    await h.db.pool.query(
      "UPDATE threads SET completed_at = now() - interval '8 days' WHERE thread_id = $1",
      [threadId],
    );
    const before = await checkpointRows(threadId);
    expect(before.checkpoints).toBeGreaterThan(5);
    const stateBefore = await stateOf(threadId);
    const threadBefore = withoutFreshToken(await h.call("GET", `/threads/${threadId}`));
    const cardBefore = await h.call("GET", `/reviews/${first.review_id}`);
    const eventsBefore = [await eventsOf(first.review_id), await eventsOf(second.review_id)];
    expect(eventsBefore[0]!.map((e) => e.type)).toContain("decided");
    const pausedBefore = await checkpointRows(paused);

    const result = await runRetention(h.db.pool, policy({ checkpointsDays: 7 }));

    const after = await checkpointRows(threadId);
    expect(after.perNamespace).toEqual([1]);
    expect(result).toMatchObject({
      threads_pruned: 1,
      checkpoints: before.checkpoints - 1,
      checkpoint_writes: before.writes - after.writes,
      checkpoint_blobs: before.blobs - after.blobs,
      runs: 0,
      outbox: 0,
      review_events: 0,
    });
    expect(after.blobs).toBeLessThan(before.blobs);
    expect(await blobIntegrity(threadId)).toEqual({ missing: 0, unreferenced: 0 });

    expect(await stateOf(threadId)).toEqual(stateBefore);
    expect(withoutFreshToken(await h.call("GET", `/threads/${threadId}`))).toEqual(threadBefore);
    expect(await h.call("GET", `/reviews/${first.review_id}`)).toEqual(cardBefore);
    expect([await eventsOf(first.review_id), await eventsOf(second.review_id)]).toEqual(
      eventsBefore,
    );
    expect(await checkpointRows(paused)).toEqual(pausedBefore);

    // A pruned thread is marked and not looked at again.
    const again = await runRetention(h.db.pool, policy({ checkpointsDays: 7 }));
    expect(again.threads_pruned).toBe(0);
  });

  it("keeps every checkpoint of a thread awaiting review or with a run in flight; the paused thread still resumes", async () => {
    // A year on, everything is old enough: only the thread status and the runs hold it back.
    const later = new Date(Date.now() + 365 * DAY_MS);
    // Threads other tests completed are pruned first, so the pass below counts this test's.
    await runRetention(h.db.pool, policy({ checkpointsDays: 7 }), later);
    const { paused, busy } = await someThreads();
    const pausedBefore = await checkpointRows(paused);
    const busyBefore = await checkpointRows(busy);
    const stateBefore = await stateOf(paused);
    expect(stateBefore.next).toEqual(["review_answer"]);

    const result = await runRetention(h.db.pool, policy({ checkpointsDays: 7 }), later);
    // The answered and recent threads, completed above.
    expect(result.threads_pruned).toBe(2);
    expect(await checkpointRows(paused)).toEqual(pausedBefore);
    expect(await checkpointRows(busy)).toEqual(busyBefore);
    expect(await stateOf(paused)).toEqual(stateBefore);

    const review = await pendingReview(h, { thread_id: paused });
    const done = await decide(h, review.review_id, { type: "approve" });
    expect(done.status).toBe("completed");
    expect(done.provenance).toBe("approved");

    // Now completed, it is pruned like any other, and its state still reads.
    const stateDone = await stateOf(paused);
    const pruned = await runRetention(h.db.pool, policy({ checkpointsDays: 7 }), later);
    expect(pruned.threads_pruned).toBe(1);
    expect((await checkpointRows(paused)).perNamespace).toEqual([1]);
    expect(await stateOf(paused)).toEqual(stateDone);
    expect(await checkpointRows(busy)).toEqual(busyBefore);
  });

  it("deletes in batches of the configured size until nothing is left, up to the per-pass cap", async () => {
    const batched = policy({ runsDays: 30, outboxDays: 30, batchSize: 2, maxBatches: 10 });
    // A thread completed long ago (its runs are aged), for the runs made below.
    const answered = (await ask(h, QUESTIONS.answerable)).thread_id;
    await h.db.pool.query(
      "UPDATE runs SET finished_at = now() - interval '31 days' WHERE thread_id = $1",
      [answered],
    );
    await runRetention(h.db.pool, batched); // its run, and whatever other tests left eligible
    const seed = async () => {
      for (let i = 0; i < 5; i++) {
        await insertRun(answered, { status: "succeeded", createdDaysAgo: 60, finishedDaysAgo: 60 });
        await insertEvent("delivered", 60, 1);
      }
    };

    await seed();
    const one = await runRetention(h.db.pool, batched);
    // Per table: 2 + 2 + 1, the short batch ending the loop.
    expect(one).toMatchObject({ runs: 5, outbox: 5, webhook_deliveries: 5, batches: 6 });
    expect(one.capped).toEqual([]);

    await seed();
    const capped = { ...batched, maxBatches: 2 };
    const first = await runRetention(h.db.pool, capped);
    expect(first).toMatchObject({ runs: 4, outbox: 4, webhook_deliveries: 4, batches: 4 });
    expect(first.capped).toEqual(["runs", "outbox"]);
    const rest = await runRetention(h.db.pool, capped);
    expect(rest).toMatchObject({ runs: 1, outbox: 1, webhook_deliveries: 1, batches: 2 });
    expect(rest.capped).toEqual([]);
    expect(await count("SELECT count(*) AS n FROM runs WHERE thread_id = $1", [answered])).toBe(0);
  });

  it("runs from the sweeper on its own timer and logs one line per pass with counts per table", async () => {
    const { lines, logger } = capturedLog();
    const sweeper = new Sweeper(h.runtime.reviewDeps, logger, 60_000, {
      policy: policy({ outboxDays: 30, batchSize: 2 }),
      intervalMs: 50,
    });
    await insertEvent("delivered", 31, 2);
    await insertEvent("failed", 45, 1);
    sweeper.start();
    try {
      const deadline = Date.now() + 10_000;
      while (!lines.some((l) => l.msg === "retention pass") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await sweeper.stop();
    }
    const passes = lines.filter((l) => l.msg === "retention pass");
    expect(passes).toHaveLength(1);
    expect(passes[0]).toMatchObject({
      outbox: 2,
      webhook_deliveries: 3,
      runs: 0,
      checkpoints: 0,
      batches: 2,
    });
    expect(passes[0]).not.toHaveProperty("capped");

    // Nothing left to delete: no line.
    expect(await sweeper.retain()).toMatchObject({ outbox: 0, batches: 1 });
    expect(lines.filter((l) => l.msg === "retention pass")).toHaveLength(1);
  });

  // It counts every review's events: the reviews other tests leave pending would keep theirs.
  describe("the review audit trail, on a database of its own", () => {
    const h = useHarness(kind);
    const count = (sql: string) => countRows(h, sql);
    const eventsOf = (reviewId: string) => reviewEvents(h, reviewId);

    it("keeps the review audit trail by default and deletes it only when configured", async () => {
      // Three decided reviews: a revision then an approval on one thread, an approval on another.
      const revised = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
      await decide(h, revised.review_id, { type: "revise", instructions: "Cite the label." });
      await decide(h, (await pendingReview(h, revised)).review_id, { type: "approve" });
      await decide(h, (await pendingReview(h, await ask(h, QUESTIONS.highRisk))).review_id, {
        type: "approve",
      });
      const pending = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
      const decided = (
        await h.db.pool.query<{ review_id: string }>(
          "SELECT review_id FROM reviews WHERE status = 'decided'",
        )
      ).rows.map((r) => r.review_id);
      expect(decided.length).toBeGreaterThanOrEqual(3);
      const eventsTotal = await count("SELECT count(*) AS n FROM review_events");

      // The configured defaults, ten years on: runs, events and checkpoints go, the audit trail stays.
      const defaults = retentionPolicyFromEnv(testEnv());
      const decade = new Date(Date.now() + 3650 * DAY_MS);
      const kept = await runRetention(h.db.pool, defaults, decade);
      expect(kept.review_events).toBe(0);
      expect(await count("SELECT count(*) AS n FROM review_events")).toBe(eventsTotal);

      const pendingEvents = await eventsOf(pending.review_id);
      const result = await runRetention(h.db.pool, policy({ reviewEventsDays: 365 }), decade);
      expect(result.review_events).toBe(eventsTotal - pendingEvents.length);
      for (const reviewId of decided) {
        expect(await eventsOf(reviewId)).toEqual([]);
        // The review itself, with its decision, is kept.
        expect((await h.call("GET", `/reviews/${reviewId}`)).status).toBe(200);
      }
      // A review still waiting for a decision keeps its trail, however old.
      expect(await eventsOf(pending.review_id)).toEqual(pendingEvents);
    });
  });
});

/** The thread as its owner reads it, less the feedback token, which is issued fresh per read. */
function withoutFreshToken<R extends { body: Record<string, unknown> }>(res: R): R {
  const { feedback_token: _token, feedback_token_expires_at: _expires, ...body } = res.body;
  return { ...res, body };
}
