/**
 * A run queued by a process whose worker has a free slot is leased to that worker by the
 * statement that queues it (no claim statement, no wake-up); otherwise it queues for any worker.
 * Told apart by the run's row: a run claimed as it was queued started at its transaction's start
 * (`now()`), which is before the row's own `created_at` (`clock_timestamp()`); a run claimed later
 * started after it.
 */
import { describe, expect, it } from "vitest";
import type { RunRow } from "../src/repositories/runs.js";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";
import { ask, decide, pendingReview, QUESTIONS } from "./support/flow.js";

describe.each(testDatabases)("runs claimed as they are queued ($name)", (kind) => {
  const h = useHarness(kind);

  async function runsOf(threadId: string): Promise<RunRow[]> {
    const { rows } = await h.db.pool.query<RunRow>(
      "SELECT * FROM runs WHERE thread_id = $1 ORDER BY created_at",
      [threadId],
    );
    return rows;
  }
  const claimedAsQueued = (run: RunRow) => run.started_at! <= run.created_at;

  it("a new thread's run and a decision's resume run go to this process's worker at once", async () => {
    const paused = await ask(h, QUESTIONS.highRisk);
    expect(paused.status).toBe("awaiting_review");
    const review = await pendingReview(h, paused);
    const done = await decide(h, review.review_id, { type: "approve" });
    expect(done.status).toBe("completed");

    const runs = await runsOf(paused.thread_id);
    expect(runs.map((r) => [r.kind, r.status, r.attempts, r.worker_id])).toEqual([
      ["start", "succeeded", 1, h.runtime.worker!.id],
      ["resume", "succeeded", 1, h.runtime.worker!.id],
    ]);
    expect(runs.map(claimedAsQueued)).toEqual([true, true]);
  });

  it("with the worker stopped, the run queues and is claimed when it starts again", async () => {
    const worker = h.runtime.worker!;
    await worker.stop();
    let threadId: string;
    try {
      const res = await h.call("POST", "/threads", { question: QUESTIONS.highRisk });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe("queued");
      threadId = res.body.thread_id as string;
      expect((await runsOf(threadId))[0]).toMatchObject({ status: "queued", worker_id: null });
    } finally {
      worker.start();
    }
    const res = await h.call("GET", `/threads/${threadId}?wait=20`);
    expect(res.body.status).toBe("awaiting_review");
    const [run] = await runsOf(threadId);
    expect(run).toMatchObject({ status: "succeeded", attempts: 1, worker_id: worker.id });
    expect(claimedAsQueued(run!)).toBe(false);
  });

  it("answers `running` for a thread whose run its worker took as it was queued", async () => {
    const res = await h.call("POST", "/threads", { question: QUESTIONS.highRisk });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("running");
  });
});
