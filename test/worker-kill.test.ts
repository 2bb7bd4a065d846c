import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import type { RunRow } from "../src/repositories/runs.js";
import { BedrockStandIn } from "./support/bedrock-stand-in.js";
import { reopenable, testDatabaseUrl, type ReopenableDatabase } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { decide, pendingReview, QUESTIONS, threadOf } from "./support/flow.js";
import { until } from "./support/until.js";
import { spawnBedrockWorker, type WorkerProcess } from "./support/worker-process.js";

// A real process killed with SIGKILL needs a database other processes can reach: the machine's
// Postgres (TEST_DATABASE_URL, set by CI). The embedded database serves one process; the same
// takeover is tested in process on it in durability.test.ts.
// Under both checkpoint durabilities: `exit` (the default) persists nothing mid-run, so the run
// is replayed from its start; `async` persists every step, so the run goes on from the last one.
describe.runIf(testDatabaseUrl).each(["exit", "async"] as const)(
  "a worker process killed mid-run (postgres, CHECKPOINT_DURABILITY=%s)",
  (durability) => {
    let store: ReopenableDatabase;
    let db: Database;
    let api: Harness;
    let survivor: Harness | undefined;
    let bedrock: BedrockStandIn;
    let child: WorkerProcess | undefined;

    beforeAll(async () => {
      store = await reopenable("postgres");
      db = await store.open();
      api = await startHarness(db, { worker: false, env: { CHECKPOINT_DURABILITY: durability } });
      bedrock = await BedrockStandIn.start();
    });
    afterAll(async () => {
      await child?.kill();
      await survivor?.close();
      await api?.close();
      await db?.close();
      await bedrock?.close();
      await store?.destroy();
    });

    it("is taken over by another worker after its lease, continues from the checkpoint, and writes one review", async () => {
      // The model never answers: the worker is killed while generation waits on it.
      bedrock.replyText("never delivered", { delayMs: 120_000 });
      child = spawnBedrockWorker(store.url, bedrock.url, {
        CHECKPOINT_DURABILITY: durability,
      });

      const created = await api.call("POST", "/threads", { question: QUESTIONS.highRisk });
      expect(created.status).toBe(202);
      const threadId = created.body.thread_id as string;
      await until(
        () => bedrock.requests.length > 0,
        `the worker process to call the model\n${child.log()}`,
      );
      const checkpointsAfterGuard = async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM checkpoints
         WHERE thread_id = $1 AND (metadata->>'step')::int >= 1`,
          [threadId],
        );
        return rows[0]!.n;
      };
      if (durability === "async") {
        // LangGraph writes checkpoints in the background: under load the model call can start
        // before the checkpoint after retrieval is stored. Kill only once it is, so "continues
        // from the checkpoint" is what is tested, not the machine's speed.
        await until(
          async () => (await checkpointsAfterGuard()) > 0,
          `the checkpoint after retrieval\n${child.log()}`,
        );
      } else {
        // Nothing of the run is stored until it pauses or ends.
        expect(await checkpointsAfterGuard()).toBe(0);
      }
      const held = await db.pool.query<RunRow>("SELECT * FROM runs WHERE thread_id = $1", [
        threadId,
      ]);
      expect(held.rows[0]).toMatchObject({ status: "running", attempts: 1 });
      const deadWorker = held.rows[0]!.worker_id;

      await child.kill();

      // Another process's worker (offline provider) takes the run once the lease has run out.
      const other = await store.open();
      survivor = await startHarness(other, {
        worker: true,
        env: { SEED_SAMPLE_KB: "false", CHECKPOINT_DURABILITY: durability },
      });
      const paused = await threadOf(survivor, threadId, 30);
      const runs = await db.pool.query<RunRow>("SELECT * FROM runs WHERE thread_id = $1", [
        threadId,
      ]);
      // On a failure, say why: the run's error and what the killed process logged.
      expect(paused.status, `${JSON.stringify(runs.rows)}\n${child.log()}`).toBe("awaiting_review");
      expect(runs.rows).toHaveLength(1);
      expect(runs.rows[0]).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(runs.rows[0]!.worker_id).not.toBe(deadWorker);
      const reviews = await db.pool.query(
        "SELECT count(*)::int AS n FROM reviews WHERE thread_id = $1",
        [threadId],
      );
      expect(reviews.rows[0].n).toBe(1);
      // One task each wrote their channels (riskTier is the guard's, retrieval the retriever's):
      // under async the guard and retrieval the dead worker had checkpointed were not run again;
      // under exit the dead worker had stored nothing and the survivor ran it all, once.
      const tasks = await db.pool.query<{ channel: string; n: number }>(
        `SELECT channel, count(DISTINCT task_id)::int AS n FROM checkpoint_writes
       WHERE thread_id = $1 AND channel IN ('riskTier', 'retrieval', 'draft') GROUP BY channel`,
        [threadId],
      );
      const writers = Object.fromEntries(tasks.rows.map((r) => [r.channel, r.n]));
      const trail = await db.pool.query(
        `SELECT checkpoint_id, task_id, channel FROM checkpoint_writes
       WHERE thread_id = $1 ORDER BY checkpoint_id, task_id, idx`,
        [threadId],
      );
      // Under exit a run's writes go into the checkpoint it stores at the pause, not one by one.
      expect(writers, `${JSON.stringify(trail.rows)}\n${child.log()}`).toEqual(
        durability === "async" ? { riskTier: 1, retrieval: 1, draft: 1 } : {},
      );

      const review = await pendingReview(survivor, paused);
      expect(review.card.draft?.provider).toBe("offline-extractive");
      const done = await decide(survivor, review.review_id, { type: "approve" });
      expect(done).toMatchObject({ status: "completed", provenance: "approved" });
    });
  },
);
