/**
 * signoff's checkpointer (src/db/one-statement-saver.ts) against LangGraph's own checkpointer
 * validation suite, on the embedded PGlite and on the machine's Postgres, each instance on a
 * fresh database; and its rows read back by the stock PostgresSaver.
 */
import { validate } from "@langchain/langgraph-checkpoint-validation";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import * as vitest from "vitest";
import { describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { OneStatementSaver } from "../src/db/one-statement-saver.js";
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
  });
}
