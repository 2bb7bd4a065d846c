import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { createLogger } from "../src/logger.js";
import { createOfflineProviders } from "../src/providers/offline/index.js";
import type { Providers } from "../src/providers/types.js";
import { executeRun, LeaseLostError } from "../src/runs/executor.js";
import { Worker } from "../src/runs/worker.js";
import { waitForThread } from "../src/services/threads.js";
import type { RunRow } from "../src/repositories/runs.js";
import { reopenable, testDatabases } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { ask, decide, pendingReview, QUESTIONS, threadOf } from "./support/flow.js";
import { until } from "./support/until.js";

const count = async (db: Database, sql: string, params: unknown[]): Promise<number> =>
  Number((await db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);

describe.each(testDatabases)("durability ($name)", (kind) => {
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

  it("accepts exactly one of several concurrent decisions and resumes the thread once", async () => {
    const review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
    const path = `/reviews/${review.review_id}/decision`;
    const results = await Promise.all([
      h.call("POST", path, { type: "approve" }),
      h.call("POST", path, { type: "reject", reasons: ["race"] }),
      h.call("POST", path, { type: "respond", answer: "third" }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
    const winner = results.find((r) => r.status === 200)!.body.review.decision_type as string;
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(loser.body.error.code).toBe("already_decided");
    }
    const done = await threadOf(h, review.thread_id);
    expect(done.status).toBe("completed");
    expect(done.provenance).toBe(
      { approve: "approved", reject: "fallback", respond: "human" }[winner],
    );
    const where = [review.review_id];
    expect(await count(db, "SELECT count(*) AS n FROM runs WHERE review_id = $1", where)).toBe(1);
    expect(await count(db, "SELECT count(*) AS n FROM feedback WHERE review_id = $1", where)).toBe(
      1,
    );
    expect(
      await count(
        db,
        "SELECT count(*) AS n FROM review_events WHERE review_id = $1 AND type = 'decided'",
        where,
      ),
    ).toBe(1);
  });

  it("re-executing a run that already paused writes no second review; a stale lease writes nothing", async () => {
    const thread = await ask(h, QUESTIONS.unanswerable);
    const deps = h.runtime.executorDeps;
    // As if the worker died after the graph paused but before the run was marked done, and the
    // run was taken again (a new attempt) by another worker.
    const retaken = async (worker: string) =>
      (
        await db.pool.query<RunRow>(
          `UPDATE runs SET status = 'running', attempts = attempts + 1, worker_id = $2,
             lease_until = now() + interval '1 minute' WHERE thread_id = $1 RETURNING *`,
          [thread.thread_id, worker],
        )
      ).rows[0]!;
    const stale = await retaken("first-taker");
    const current = await retaken("second-taker");
    await expect(executeRun(deps, stale)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await executeRun(deps, current)).toBe("awaiting_review");
    const run = await db.pool.query<RunRow>("SELECT * FROM runs WHERE run_id = $1", [
      current.run_id,
    ]);
    expect(run.rows[0]).toMatchObject({ status: "succeeded", worker_id: "second-taker" });
    const where = [thread.thread_id];
    expect(await count(db, "SELECT count(*) AS n FROM reviews WHERE thread_id = $1", where)).toBe(
      1,
    );
    expect(
      await count(
        db,
        "SELECT count(*) AS n FROM review_events e JOIN reviews r USING (review_id) WHERE r.thread_id = $1",
        where,
      ),
    ).toBe(1);
  });

  // `exit` (the default) stores nothing while a run runs, `async` every step.
  it.each(["exit", "async"] as const)(
    "a run whose worker died mid-run is taken by another worker and goes on: from its last checkpoint (async) or from its start (exit) (%s)",
    async (durability) => {
      const api = await startHarness(db, { worker: false, env: { SEED_SAMPLE_KB: "false" } });
      const logger = createLogger("silent");
      const offline = createOfflineProviders(db.pool);
      let generateCalls = 0;
      const hanging: Providers = {
        ...offline,
        generator: {
          generate: () => {
            generateCalls++;
            return new Promise(() => undefined); // the process "dies" while the model is busy
          },
        },
      };
      let retrieveCallsAfterCrash = 0;
      const counting: Providers = {
        ...offline,
        retriever: {
          retrieve: (q, k) => {
            retrieveCallsAfterCrash++;
            return offline.retriever.retrieve(q, k);
          },
          getPassages: (ids) => offline.retriever.getPassages(ids),
        },
      };
      const workerWith = (providers: Providers, id: string) =>
        new Worker({
          pool: db.pool,
          logger,
          signals: api.runtime.signals,
          concurrency: 1,
          leaseSeconds: 2,
          pollMs: 50,
          workerId: id,
          execute: (run, signal) =>
            executeRun(
              {
                ...api.runtime.executorDeps,
                durability,
                context: { ...api.runtime.context, providers },
              },
              run,
              signal,
            ),
        });

      // Stop the suite's own worker so only the two below take runs.
      await h.runtime.worker?.stop();
      const created = await api.call("POST", "/threads", { question: QUESTIONS.highRisk });
      const threadId = created.body.thread_id as string;
      const first = workerWith(hanging, "worker-that-dies");
      first.start();
      const config = { configurable: { thread_id: threadId } };
      await until(
        async () =>
          generateCalls === 1 &&
          (durability === "exit" ||
            (await api.runtime.graph.getState(config)).next.includes("generate")),
        "the first worker to reach generate",
      );
      // Under exit nothing of the run is stored while it runs.
      if (durability === "exit") {
        expect((await api.runtime.graph.getState(config)).createdAt).toBeUndefined();
      }
      await first.crash();
      const leased = await db.pool.query<RunRow>("SELECT * FROM runs WHERE thread_id = $1", [
        threadId,
      ]);
      expect(leased.rows[0]).toMatchObject({
        status: "running",
        worker_id: "worker-that-dies",
        attempts: 1,
      });

      const second = workerWith(counting, "worker-that-survives");
      second.start();
      try {
        const paused = await waitForThread(
          { pool: db.pool, signals: api.runtime.signals },
          threadId,
          20,
        );
        expect(paused.status).toBe("awaiting_review");
        // Under async guard and retrieve had checkpointed: the new worker did not run them
        // again. Under exit the run's checkpoint is written only with its outcome, so an aborted
        // run stores nothing (not even what LangGraph saves on its way out) and is replayed.
        expect(retrieveCallsAfterCrash).toBe(durability === "exit" ? 1 : 0);
        const runs = await db.pool.query<RunRow>("SELECT * FROM runs WHERE thread_id = $1", [
          threadId,
        ]);
        expect(runs.rows).toHaveLength(1);
        expect(runs.rows[0]).toMatchObject({
          status: "succeeded",
          worker_id: "worker-that-survives",
          attempts: 2,
        });
        expect(
          await count(db, "SELECT count(*) AS n FROM reviews WHERE thread_id = $1", [threadId]),
        ).toBe(1);

        const review = await pendingReview(api, paused);
        const done = await decide(api, review.review_id, { type: "approve" });
        expect(done.status).toBe("completed");
        expect(done.provenance).toBe("approved");
      } finally {
        await second.stop();
        await api.close();
        h.runtime.worker?.start();
      }
    },
  );

  it("applies migrations once when several processes start together", async () => {
    const results = await Promise.all([migrate(db.pool), migrate(db.pool), migrate(db.pool)]);
    expect(results.every((r) => r.applied.length === 0)).toBe(true);
  });
});

describe.each(testDatabases)("restart ($name)", (kind) => {
  it("keeps pending reviews across a server restart and resumes them", async () => {
    const store = await reopenable(kind.name);
    try {
      let db = await store.open();
      let h = await startHarness(db);
      const paused = [await ask(h, QUESTIONS.highRisk), await ask(h, QUESTIONS.unanswerable)];
      const completed = await ask(h, QUESTIONS.answerable);
      await h.close();
      await db.close();

      db = await store.open();
      h = await startHarness(db);
      try {
        const queue = await h.call("GET", "/reviews?status=pending");
        expect(queue.status).toBe(200);
        expect(new Set(queue.body.items.map((i: { thread_id: string }) => i.thread_id))).toEqual(
          new Set(paused.map((t) => t.thread_id)),
        );
        expect((await threadOf(h, completed.thread_id)).answer).toBe(completed.answer);
        for (const thread of paused) {
          const review = await pendingReview(h, thread);
          const done = await decide(h, review.review_id, {
            type: "respond",
            answer: "Answered after a restart.",
          });
          expect(done.status).toBe("completed");
          expect(done.provenance).toBe("human");
        }
        // The sample knowledge base was loaded once, not again on the second start.
        const docs = await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM documents");
        expect(Number(docs.rows[0]!.n)).toBeGreaterThan(30);
        const dupes = await db.pool.query(
          "SELECT content_hash FROM documents GROUP BY 1 HAVING count(*) > 1",
        );
        expect(dupes.rows).toEqual([]);
      } finally {
        await h.close();
        await db.close();
      }
    } finally {
      await store.destroy();
    }
  });
});

describe("the embedded database's data directory", () => {
  it("is locked: a second process-like open is refused with a clear message, and freed on close", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { openDatabase, DataDirInUseError } = await import("../src/db/database.js");
    const dir = await mkdtemp(path.join(tmpdir(), "signoff-lock-"));
    try {
      const { writeFile } = await import("node:fs/promises");
      // A lock held by another live process (this test's parent stands in for it).
      await writeFile(path.join(dir, "pgdata.lock"), String(process.ppid));
      await expect(openDatabase({ dataDir: dir })).rejects.toBeInstanceOf(DataDirInUseError);
      // A lock left by a process that is gone is taken over.
      await writeFile(path.join(dir, "pgdata.lock"), "999999999");
      const db = await openDatabase({ dataDir: dir });
      await db.close();
      const again = await openDatabase({ dataDir: dir });
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
