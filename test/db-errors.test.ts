import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/db/database.js";
import { isDatabaseUnavailable, markFromDatabase } from "../src/db/errors.js";
import { createOfflineProviders } from "../src/providers/offline/index.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS, threadOf } from "./support/flow.js";
import { startHarness, type Harness } from "./support/harness.js";

const socketError = (code: string) => Object.assign(new Error(`socket: ${code}`), { code });

describe("which errors mean the database is away", () => {
  it("a socket error counts only when the database connection raised it", () => {
    expect(isDatabaseUnavailable(socketError("ECONNRESET"))).toBe(false);
    expect(isDatabaseUnavailable(markFromDatabase(socketError("ECONNRESET")))).toBe(true);
    // A model provider's network failure, wrapped by the graph: not the database's.
    const wrapped = new Error("generation failed", { cause: socketError("ECONNREFUSED") });
    expect(isDatabaseUnavailable(wrapped)).toBe(false);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(false);
  });

  it("a server's SQLSTATE for a lost connection counts wherever it is found", () => {
    const terminated = Object.assign(new Error("terminating connection"), {
      code: "57P01",
      severity: "FATAL",
    });
    expect(isDatabaseUnavailable(new Error("checkpoint failed", { cause: terminated }))).toBe(true);
    const dataError = Object.assign(new Error("out of range"), {
      code: "22008",
      severity: "ERROR",
    });
    expect(isDatabaseUnavailable(dataError)).toBe(false);
  });

  it("a refused connection from a real pool is marked and counts", async () => {
    const db = await openDatabase({
      url: "postgres://postgres@127.0.0.1:1/none",
      connectTimeoutMs: 2000,
    });
    try {
      const error = await db.pool.query("SELECT 1").catch((e: unknown) => e);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await db.close();
    }
  });
});

/**
 * The model provider failing with a socket error is the run's failure, not a database outage:
 * the run is retried RUN_MAX_ATTEMPTS times and fails, instead of being retried as if the
 * database were away (with its attempt given back).
 */
describe.each(testDatabases)("a model provider's network error ($name)", (kind) => {
  let db: Database;
  let h: Harness;
  beforeAll(async () => {
    db = await kind.open();
    const offline = createOfflineProviders(db.pool);
    h = await startHarness(db, {
      env: { RUN_MAX_ATTEMPTS: "2" },
      providers: {
        ...offline,
        generator: {
          generate: () => Promise.reject(socketError("ECONNRESET")),
        },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });

  it("uses up the run's attempts and fails the thread", async () => {
    const created = await h.call("POST", "/threads", { question: QUESTIONS.answerable });
    expect(created.status).toBe(202);
    const deadline = Date.now() + 30_000;
    let view = await threadOf(h, created.body.thread_id, 5);
    while (view.status !== "failed" && Date.now() < deadline) {
      view = await threadOf(h, created.body.thread_id, 5);
    }
    expect(view.status).toBe("failed");
    const { rows } = await db.pool.query("SELECT attempts, max_attempts, status FROM runs");
    expect(rows).toEqual([{ attempts: 2, max_attempts: 2, status: "failed" }]);
  });
});
