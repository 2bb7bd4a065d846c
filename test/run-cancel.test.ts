/**
 * Cancelling a run while a worker executes it: the worker stops at once (same process), and the
 * thread's next run waits until the cancelled one has let go, so two runs never write one
 * thread's checkpoints together.
 */
import { describe, expect, it } from "vitest";
import { cancelRun, claimRun, enqueueRun } from "../src/repositories/runs.js";
import { insertIdleThread } from "../src/repositories/threads.js";
import { Worker } from "../src/runs/worker.js";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";
import { until } from "./support/until.js";

describe.each(testDatabases)("cancelling a running run ($name)", (kind) => {
  const h = useHarness(kind, { worker: false, env: { SEED_SAMPLE_KB: "false" } });

  async function threadWithRuns(n: number) {
    const thread = await insertIdleThread(h.db.pool, {
      thread_id: crypto.randomUUID(),
      metadata: {},
      created_by: "test",
      owner_id: "test",
    });
    const runs: string[] = [];
    for (let i = 0; i < n; i++) {
      runs.push(
        (
          await enqueueRun(h.db.pool, {
            thread_id: thread!.thread_id,
            kind: "start",
            max_attempts: 3,
          })
        ).run_id,
      );
    }
    return runs;
  }

  it("keeps the thread's next run waiting while the cancelled one's worker holds its lease", async () => {
    const [first, second] = await threadWithRuns(2);
    const claimed = await claimRun(h.db.pool, "w1", 30);
    expect(claimed?.run_id).toBe(first);
    await cancelRun(h.db.pool, first!);
    // The cancelled run's worker may still be writing: the next run of the thread waits.
    expect(await claimRun(h.db.pool, "w2", 30)).toBeUndefined();
    // Once its lease is gone (the worker stopped, or died and its lease ran out), it goes.
    await h.db.pool.query(
      "UPDATE runs SET lease_until = now() - interval '1 second' WHERE run_id = $1",
      [first],
    );
    expect((await claimRun(h.db.pool, "w2", 30))?.run_id).toBe(second);
  });

  it("a worker in this process stops the cancelled run at once and lets the next one go", async () => {
    const [first, second] = await threadWithRuns(2);
    let aborted: AbortSignal | undefined;
    // A worker whose runs go on until they are stopped.
    const w = new Worker({
      pool: h.db.pool,
      logger: h.runtime.logger,
      signals: h.runtime.signals,
      leaseSeconds: 30,
      concurrency: 1,
      execute: (run, signal) =>
        new Promise<string>((_, reject) => {
          if (run.run_id === first) aborted = signal;
          signal.addEventListener("abort", () => reject(signal.reason as Error));
        }),
    });
    w.start();
    try {
      await until(() => aborted !== undefined, "the first run to start");
      await cancelRun(h.db.pool, first!);
      h.runtime.signals.runCancelled(first!);
      await until(() => aborted!.aborted, "the worker to stop the cancelled run");
      await until(async () => {
        const { rows } = await h.db.pool.query<{ status: string }>(
          "SELECT status FROM runs WHERE run_id = $1",
          [second],
        );
        return rows[0]?.status === "running";
      }, "the next run to start once the cancelled one let go");
    } finally {
      await w.crash();
    }
  });
});
