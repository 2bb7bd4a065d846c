/**
 * signoff's checkpointer (src/db/one-statement-saver.ts) against LangGraph's own checkpointer
 * validation suite, on the embedded PGlite and on the machine's Postgres, each instance on a
 * fresh database; and its rows read back by the stock PostgresSaver.
 */
import { validate } from "@langchain/langgraph-checkpoint-validation";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import * as vitest from "vitest";
import { describe, expect, it, vi } from "vitest";
import { withTransaction, type Database } from "../src/db/database.js";
import { OneStatementSaver } from "../src/db/one-statement-saver.js";
import { RunCheckpoints } from "../src/db/run-checkpoints.js";
import { testDatabases } from "./support/databases.js";

// The validation suite calls vitest's hooks as globals; this project does not enable them.
Object.assign(globalThis, {
  describe: vitest.describe,
  it: vitest.it,
  test: vitest.test,
  expect: vitest.expect,
  beforeAll: vitest.beforeAll,
  afterAll: vitest.afterAll,
  beforeEach: vitest.beforeEach,
  afterEach: vitest.afterEach,
});

const open = new Map<OneStatementSaver, Database>();

for (const kind of testDatabases) {
  validate<OneStatementSaver>({
    checkpointerName: `OneStatementSaver (${kind.name})`,
    async createCheckpointer() {
      const db = await kind.open();
      const saver = new OneStatementSaver(db.pool);
      await saver.setup();
      open.set(saver, db);
      return saver;
    },
    async destroyCheckpointer(saver) {
      await open.get(saver)?.close();
      open.delete(saver);
    },
  });

  describe(`OneStatementSaver rows (${kind.name})`, () => {
    it("are read back by the stock PostgresSaver: checkpoint, channel values and writes", async () => {
      const db = await kind.open();
      try {
        const ours = new OneStatementSaver(db.pool);
        await ours.setup();
        const checkpoint = {
          ...emptyCheckpoint(),
          channel_values: { question: "How many days?", answer: "30 days.", empty: undefined },
          channel_versions: { question: 1, answer: 1 },
        };
        const config = { configurable: { thread_id: "t-1", checkpoint_ns: "" } };
        const saved = await ours.put(
          config,
          checkpoint,
          { source: "loop", step: 1, parents: {} },
          { question: 1, answer: 1 },
        );
        await ours.putWrites(
          saved,
          [
            ["answer", "31 days."],
            ["answer", "32 days."],
          ],
          "task-1",
        );
        const stock = new PostgresSaver(db.pool);
        const tuple = await stock.getTuple(saved);
        expect(tuple?.checkpoint.channel_values).toEqual({
          question: "How many days?",
          answer: "30 days.",
        });
        expect(tuple?.metadata).toMatchObject({ source: "loop", step: 1 });
        expect(tuple?.pendingWrites).toEqual([
          ["task-1", "answer", "31 days."],
          ["task-1", "answer", "32 days."],
        ]);
      } finally {
        await db.close();
      }
    });

    it("inside a run: reads the latest checkpoint once for two loads, and keeps writes for the run's transaction", async () => {
      const db = await kind.open();
      try {
        const saver = new OneStatementSaver(db.pool);
        await saver.setup();
        const stock = new PostgresSaver(db.pool);
        const thread = { thread_id: "t-run", checkpoint_ns: "" };
        const first = await saver.put(
          { configurable: thread },
          {
            ...emptyCheckpoint(),
            channel_values: { question: "How many days?" },
            channel_versions: { question: 1 },
          },
          { source: "input", step: -1, parents: {} },
          { question: 1 },
        );

        const run = new RunCheckpoints();
        const scoped = { configurable: { ...thread, [RunCheckpoints.KEY]: run } };
        const queries = vi.spyOn(db.pool, "query");
        const looked = await saver.getTuple(scoped);
        expect(looked?.checkpoint.channel_values).toEqual({ question: "How many days?" });
        // What one load does to its objects is not seen by the next.
        looked!.checkpoint.channel_versions.question = 99;
        const loaded = await saver.getTuple(scoped);
        expect(queries).toHaveBeenCalledTimes(1);
        expect(loaded?.config).toEqual(first);
        expect(loaded?.checkpoint.channel_versions).toEqual({ question: 1 });
        expect(loaded?.checkpoint.channel_values).toEqual({ question: "How many days?" });
        // Only the next read shares: a third one reads again.
        await saver.getTuple(scoped);
        expect(queries).toHaveBeenCalledTimes(2);

        const next = await saver.put(
          { configurable: { ...first.configurable, [RunCheckpoints.KEY]: run } },
          {
            ...emptyCheckpoint(),
            channel_values: { question: "How many days?", answer: "30 days." },
            channel_versions: { question: 1, answer: 2 },
          },
          { source: "loop", step: 0, parents: {} },
          { answer: 2 },
        );
        await saver.putWrites(
          { configurable: { ...next.configurable, [RunCheckpoints.KEY]: run } },
          [["answer", "31 days."]],
          "task-2",
        );
        expect(queries).toHaveBeenCalledTimes(2);
        queries.mockRestore();
        expect(run.pending).toBe(2);
        // Nothing is stored until the run's transaction sends it.
        expect((await stock.getTuple({ configurable: thread }))?.config).toEqual(first);
        await withTransaction(db.pool, (tx) => run.writeOn(tx));
        expect(run.pending).toBe(0);
        const stored = await stock.getTuple({ configurable: thread });
        expect(stored?.config).toEqual(next);
        expect(stored?.checkpoint.channel_values).toEqual({
          question: "How many days?",
          answer: "30 days.",
        });
        expect(stored?.pendingWrites).toEqual([["task-2", "answer", "31 days."]]);
      } finally {
        await db.close();
      }
    });
  });
}
