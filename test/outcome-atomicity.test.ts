import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import type { RunRow } from "../src/repositories/runs.js";
import { reopenable, testDatabaseUrl, type ReopenableDatabase } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { QUESTIONS, threadOf } from "./support/flow.js";
import { until } from "./support/until.js";
import { spawnBedrockWorker, type WorkerProcess } from "./support/worker-process.js";

// A worker process killed after it wrote the run's checkpoint and before it wrote the review row:
// the test holds a lock on `reviews`, so the worker's outcome transaction stops at its review
// insert with the checkpoint already written in it, and is killed there. A real process and a
// lock other processes see need the machine's Postgres (TEST_DATABASE_URL, set by CI).
describe.runIf(testDatabaseUrl)(
  "a worker killed between the checkpoint and the review row (postgres)",
  () => {
    let store: ReopenableDatabase;
    let db: Database;
    let api: Harness;
    let survivor: Harness | undefined;
    let child: WorkerProcess | undefined;
    let blocker: pg.Client | undefined;

    beforeAll(async () => {
      store = await reopenable("postgres");
      db = await store.open();
      api = await startHarness(db, { worker: false });
    });
    afterAll(async () => {
      await blocker?.end().catch(() => undefined);
      await child?.kill();
      await survivor?.close();
      await api?.close();
      await db?.close();
      await store?.destroy();
    });

    it("leaves neither the checkpoint nor the review, and the next worker writes each once", async () => {
      blocker = new pg.Client({ connectionString: store.url });
      await blocker.connect();
      await blocker.query("BEGIN");
      // EXCLUSIVE lets reads through and stops every INSERT, UPDATE and DELETE.
      await blocker.query("LOCK TABLE reviews IN EXCLUSIVE MODE");

      child = spawnBedrockWorker(store.url, "http://127.0.0.1:9", { MODEL_PROVIDER: "offline" });
      const created = await api.call("POST", "/threads", { question: QUESTIONS.highRisk });
      expect(created.status).toBe(202);
      const threadId = created.body.thread_id as string;

      // The worker's outcome transaction, waiting for the lock at its review insert.
      let stuck = { pid: 0 };
      await until(async () => {
        const { rows } = await db.pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE 'INSERT INTO reviews%'`,
        );
        if (rows[0]) stuck = rows[0];
        return rows.length > 0;
      }, `the worker to reach its review insert\n${child.log()}`);
      // The same transaction has written the checkpoint (it holds a write lock on the table)…
      const { rows: held } = await db.pool.query<{ relname: string }>(
        `SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE l.pid = $1 AND l.mode = 'RowExclusiveLock' AND c.relname LIKE 'checkpoint%'`,
        [stuck.pid],
      );
      expect(held.map((r) => r.relname).sort()).toEqual(
        expect.arrayContaining(["checkpoint_blobs", "checkpoints"]),
      );
      // …which nobody else sees before it commits.
      const visible = await db.pool.query("SELECT 1 FROM checkpoints WHERE thread_id = $1", [
        threadId,
      ]);
      expect(visible.rowCount).toBe(0);

      await child.kill();
      // The lock released, the dead worker's session finds its client gone before a COMMIT
      // comes: Postgres ends its transaction, and the checkpoint goes with it.
      await blocker.query("ROLLBACK");
      await until(async () => {
        const { rowCount } = await db.pool.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [
          stuck.pid,
        ]);
        return rowCount === 0;
      }, "the killed worker's session to end");
      const after = await db.pool.query(
        `SELECT (SELECT count(*)::int FROM checkpoints WHERE thread_id = $1::text) AS checkpoints,
                (SELECT count(*)::int FROM reviews WHERE thread_id = $1::uuid) AS reviews,
                (SELECT status FROM threads WHERE thread_id = $1::uuid) AS status`,
        [threadId],
      );
      expect(after.rows[0]).toEqual({ checkpoints: 0, reviews: 0, status: "running" });

      // Another process's worker takes the run over once its lease has run out.
      survivor = await startHarness(await store.open(), {
        worker: true,
        env: { SEED_SAMPLE_KB: "false" },
      });
      const paused = await threadOf(survivor, threadId, 30);
      expect(paused.status).toBe("awaiting_review");
      const runs = await db.pool.query<RunRow>("SELECT * FROM runs WHERE thread_id = $1", [
        threadId,
      ]);
      expect(runs.rows).toHaveLength(1);
      expect(runs.rows[0]).toMatchObject({ status: "succeeded", attempts: 2 });
      const written = await db.pool.query(
        `SELECT (SELECT count(*)::int FROM reviews WHERE thread_id = $1::uuid) AS reviews,
                (SELECT count(*)::int FROM review_events e JOIN reviews r USING (review_id)
                  WHERE r.thread_id = $1::uuid AND e.type = 'created') AS created_events,
                (SELECT count(DISTINCT checkpoint_id)::int FROM checkpoints
                  WHERE thread_id = $1::text AND metadata->>'source' = 'loop') AS paused_checkpoints`,
        [threadId],
      );
      expect(written.rows[0]).toEqual({ reviews: 1, created_events: 1, paused_checkpoints: 1 });
      // The review is the one the checkpoint waits on.
      const state = await survivor.runtime.graph.getState({
        configurable: { thread_id: threadId },
      });
      const interruptIds = state.tasks.flatMap((t) => t.interrupts.map((i) => String(i.id)));
      const review = await db.pool.query<{ interrupt_id: string }>(
        "SELECT interrupt_id FROM reviews WHERE thread_id = $1",
        [threadId],
      );
      expect(interruptIds).toEqual([review.rows[0]!.interrupt_id]);
    });
  },
);
