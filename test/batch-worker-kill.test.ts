import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { BedrockStandIn } from "./support/bedrock-stand-in.js";
import { reopenable, testDatabaseUrl, type ReopenableDatabase } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { QUESTIONS } from "./support/flow.js";
import { until } from "./support/until.js";
import { spawnBedrockWorker, type WorkerProcess } from "./support/worker-process.js";

// Real worker processes killed with SIGKILL share the machine's Postgres (TEST_DATABASE_URL); the
// single-process embedded database is covered by the in-process takeover in durability.test.ts.
describe.runIf(testDatabaseUrl)("a batch through a worker kill and a restart (postgres)", () => {
  let store: ReopenableDatabase;
  let db: Database;
  let api: Harness;
  let bedrock: BedrockStandIn;
  const children: WorkerProcess[] = [];

  beforeAll(async () => {
    store = await reopenable("postgres");
    db = await store.open();
    api = await startHarness(db, { worker: false });
    bedrock = await BedrockStandIn.start();
  });
  afterAll(async () => {
    for (const child of children) await child.kill();
    await api?.close();
    await db?.close();
    await bedrock?.close();
    await store?.destroy();
  });

  it("answers every question exactly once", async () => {
    const mix = [QUESTIONS.answerable, QUESTIONS.highRisk, QUESTIONS.unanswerable];
    const questions = Array.from({ length: 24 }, (_, i) => ({
      question: `${mix[i % mix.length]!} (#${i})`,
      id: `q${i}`,
    }));
    const key = { "idempotency-key": "kill-and-restart" };
    const created = await api.call("POST", "/batches", { questions }, key);
    expect(created.status).toBe(202);
    const batchId = created.body.batch_id as string;

    // The first worker process: its model never answers, so the runs it took hang in generation
    // until it is killed (3 of its 4 slots are batch slots).
    for (let i = 0; i < 3; i++) bedrock.replyText("never delivered", { delayMs: 120_000 });
    const doomed = spawnBedrockWorker(store.url, bedrock.url, { WORKER_CONCURRENCY: "4" });
    children.push(doomed);
    await until(
      () => bedrock.requests.length >= 3,
      `the first worker to hold three runs in the model call\n${doomed.log()}`,
    );
    const held = await db.pool.query<{ run_id: string; worker_id: string }>(
      `SELECT r.run_id, r.worker_id FROM runs r JOIN threads t USING (thread_id)
       WHERE t.batch_id = $1 AND r.status = 'running'`,
      [batchId],
    );
    expect(held.rows).toHaveLength(3);
    await doomed.kill();

    // The restart: a new worker process (offline models) takes the killed runs after their
    // leases and works through the rest.
    const restarted = spawnBedrockWorker(store.url, bedrock.url, {
      MODEL_PROVIDER: "offline",
      WORKER_CONCURRENCY: "4",
    });
    children.push(restarted);
    await until(
      async () => (await api.call("GET", `/batches/${batchId}`)).body.settled === true,
      `the batch to settle\n${restarted.log()}`,
      90_000,
      250,
    );

    // The client resumes too: resubmitting the file starts nothing.
    const resubmitted = await api.call("POST", "/batches", { questions }, key);
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.body).toMatchObject({ batch_id: batchId, started: 0, total: 24 });

    const progress = (await api.call("GET", `/batches/${batchId}`)).body;
    // Which items pause depends on the question and on audit sampling; none is lost or failed.
    expect(progress.counts).toMatchObject({ queued: 0, running: 0, failed: 0 });
    expect(progress.counts.completed + progress.counts.awaiting_review).toBe(24);
    // Per item: one thread, one start run (succeeded), at most one review, an answer or a review.
    const perItem = await db.pool.query<{
      item_key: string;
      threads: number;
      runs: number;
      succeeded: number;
      reviews: number;
      settled: boolean;
    }>(
      `SELECT t.item_key, count(DISTINCT t.thread_id)::int AS threads,
         (SELECT count(*)::int FROM runs r WHERE r.thread_id = min(t.thread_id::text)::uuid) AS runs,
         (SELECT count(*)::int FROM runs r WHERE r.thread_id = min(t.thread_id::text)::uuid
            AND r.status = 'succeeded') AS succeeded,
         (SELECT count(*)::int FROM reviews v WHERE v.thread_id = min(t.thread_id::text)::uuid)
            AS reviews,
         bool_and((t.status = 'completed' AND t.answer IS NOT NULL) OR t.status = 'awaiting_review')
            AS settled
       FROM threads t WHERE t.batch_id = $1 GROUP BY t.item_key ORDER BY t.item_key`,
      [batchId],
    );
    expect(perItem.rows).toHaveLength(24);
    for (const row of perItem.rows) {
      expect(row, row.item_key).toMatchObject({ threads: 1, runs: 1, succeeded: 1, settled: true });
      expect(row.reviews, row.item_key).toBeLessThanOrEqual(1);
    }
    // The killed worker's runs were taken over: attempted twice, finished by the new process.
    const takenOver = await db.pool.query<{ attempts: number; worker_id: string }>(
      "SELECT attempts, worker_id FROM runs WHERE run_id = ANY($1::uuid[])",
      [held.rows.map((r) => r.run_id)],
    );
    for (const run of takenOver.rows) {
      expect(run.attempts).toBe(2);
      expect(run.worker_id).not.toBe(held.rows[0]!.worker_id);
    }
    // One review per paused item: the killed attempts raised none.
    const reviews = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reviews v JOIN threads t USING (thread_id)
       WHERE t.batch_id = $1`,
      [batchId],
    );
    expect(reviews.rows[0]!.n).toBe(progress.counts.awaiting_review);
  });
});
