import { describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { useHarness } from "./support/harness.js";

/**
 * The embedded database has one session, shared by every request. A statement the database
 * refuses (the client's fault: a NUL byte in text) must fail that request alone (422), never
 * the requests that happen to run beside it.
 */
describe.each(testDatabases)("a refused statement disturbs no other request ($name)", (kind) => {
  const h = useHarness(kind, { worker: false, env: { SEED_SAMPLE_KB: "false" } });

  it("a statement the database refuses keeps its connection (no reconnect per bad request)", async () => {
    let connects = 0;
    const counter = (): void => void connects++;
    h.db.pool.on("connect", counter);
    try {
      for (let i = 0; i < 20; i++) {
        await expect(
          h.db.pool.query("SELECT $1::timestamptz", ["0000-01-01T00:00:00Z"]),
        ).rejects.toMatchObject({ code: "22008" });
      }
      expect((await h.db.pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one).toBe(1);
      expect(connects).toBe(0);
    } finally {
      h.db.pool.off("connect", counter);
    }
  });

  it("200 concurrent requests, half of them refused by the database", async () => {
    const statuses: Record<string, number[]> = { bad: [], ready: [], good: [] };
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        if (i % 2 === 0) {
          // A NUL byte reaches the database, which refuses the statement (22021).
          const res = await h.call("POST", "/threads", { question: `bad \u0000 question ${i}` });
          statuses.bad!.push(res.status);
        } else if (i % 4 === 1) {
          statuses.ready!.push((await h.call("GET", "/readyz")).status);
        } else {
          const res = await h.call("POST", "/threads", { question: QUESTIONS.answerable });
          statuses.good!.push(res.status);
        }
      }),
    );
    expect(new Set(statuses.bad)).toEqual(new Set([422]));
    expect(new Set(statuses.ready)).toEqual(new Set([200]));
    expect(new Set(statuses.good)).toEqual(new Set([202]));
  });
});

describe("timestamps are checked before SQL", () => {
  it("accepts real moments and refuses ones Postgres cannot store", async () => {
    const { isStorableTimestamp } = await import("../src/validation/timestamps.js");
    for (const ok of [
      "2026-12-02",
      "2026-02-28T23:59:59Z",
      "2024-02-29",
      "0001-01-01",
      "2026-12-02 10:00:00.123456+00",
      "2026-12-02T10:00:00-15:30",
    ]) {
      expect(isStorableTimestamp(ok), ok).toBe(true);
    }
    for (const bad of [
      "0000-01-01",
      "2026-02-31",
      "2026-13-01",
      "2026-12-02T24:00:00Z",
      "2026-12-02T10:00:00+16:00",
      "10000-01-01",
      "soon",
    ]) {
      expect(isStorableTimestamp(bad), bad).toBe(false);
    }
  });
});
