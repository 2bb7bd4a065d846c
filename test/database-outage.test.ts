import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { openDatabase, type Database } from "../src/db/database.js";
import { reopenable, testDatabaseUrl, type ReopenableDatabase } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { startHarness, type Harness } from "./support/harness.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import { until } from "./support/until.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The database dropping under load, on the machine's real Postgres: its backends killed with
 * pg_terminate_backend(), and the server made unreachable (a proxy in front of it refuses
 * connections and cuts the open ones). The process must live, answer 503 while the database is
 * away, and recover by itself with no thread, review or decision lost or doubled.
 */
describe.runIf(testDatabaseUrl)("the database drops under load (postgres)", () => {
  let store: ReopenableDatabase;
  let proxy: TcpProxy;
  let db: Database;
  let h: Harness;
  let admin: pg.Client;
  const statuses = new Map<number, number>();
  const bodies500: unknown[] = [];

  /** A request that is retried while the answer is 503, as a well-behaved client does. */
  async function call(method: string, path: string, body?: unknown, headers = {}) {
    for (let attempt = 0; ; attempt++) {
      const res = await h.call(method, path, body, headers);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500 && res.status !== 503) bodies500.push(res.body);
      if (res.status !== 503 || attempt > 200) return res;
      expect(res.body.error.code).toBe("database_unavailable");
      await sleep(50 + Math.random() * 100);
    }
  }

  async function killBackends(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [new URL(store.url!).pathname.slice(1)],
    );
    return rows[0]!.n;
  }

  beforeAll(async () => {
    store = await reopenable("postgres");
    const target = new URL(store.url!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    db = await openDatabase({ url: proxy.urlFor(store.url!), poolSize: 6 });
    h = await startHarness(db, { env: { WORKER_CONCURRENCY: "4", RUN_LEASE_SECONDS: "3" } });
    admin = new pg.Client({ connectionString: store.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await h?.close();
    await db?.close();
    await proxy?.down();
    await store?.destroy();
  });

  it("lives through killed backends with threads and decisions in flight; nothing lost or doubled", async () => {
    const threads = 24;
    let kills = 0;
    let killing = true;
    const killer = (async () => {
      while (killing) {
        await sleep(400 + Math.random() * 300);
        if (killing && (await killBackends()) > 0) kills++;
      }
    })();
    onTestFinished(async () => {
      killing = false;
      await killer.catch(() => undefined);
    });

    const created = await Promise.all(
      Array.from({ length: threads }, async (_, i) => {
        await sleep(i * 20);
        const res = await call(
          "POST",
          "/threads",
          { question: QUESTIONS.highRisk, metadata: { i } },
          { "idempotency-key": `outage-${i}` },
        );
        expect([200, 202]).toContain(res.status);
        return res.body.thread_id as string;
      }),
    );
    expect(new Set(created).size).toBe(threads);

    // Every thread pauses for answer review, however often its run was cut off.
    const reviewIds = await Promise.all(
      created.map(async (threadId) => {
        let reviewId: string | undefined;
        await until(
          async () => {
            const res = await call("GET", `/threads/${threadId}`);
            reviewId = res.body.reviews?.find((r: { status: string }) => r.status === "pending")
              ?.review_id as string | undefined;
            return res.body.status === "awaiting_review" && reviewId !== undefined;
          },
          `thread ${threadId} to pause`,
          60_000,
          100,
        );
        return reviewId!;
      }),
    );

    // Each decision is sent until it is accepted; a repeat after a lost answer is a 409.
    const outcomes = await Promise.all(
      reviewIds.map(async (reviewId) => {
        for (;;) {
          const res = await call("POST", `/reviews/${reviewId}/decision`, { type: "approve" });
          if (res.status === 200 || res.status === 409) return res.status;
          throw new Error(`decision answered ${res.status}: ${JSON.stringify(res.body)}`);
        }
      }),
    );
    expect(outcomes.every((s) => s === 200 || s === 409)).toBe(true);

    await until(
      async () => {
        const { rows } = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM threads WHERE status = 'completed'",
        );
        return rows[0]!.n === threads;
      },
      "every thread to complete",
      60_000,
      100,
    );
    killing = false;
    await killer;
    expect(kills).toBeGreaterThanOrEqual(3);

    expect(bodies500).toEqual([]);
    expect([...statuses.keys()].every((s) => [200, 202, 409, 503].includes(s))).toBe(true);
    const count = async (sql: string) => (await admin.query<{ n: number }>(sql)).rows[0]!.n;
    expect(await count("SELECT count(*)::int AS n FROM threads")).toBe(threads);
    expect(await count("SELECT count(*)::int AS n FROM reviews")).toBe(threads);
    expect(await count("SELECT count(*)::int AS n FROM reviews WHERE status = 'decided'")).toBe(
      threads,
    );
    // One decision row per review, and no run given up on.
    expect(await count("SELECT count(*)::int AS n FROM feedback WHERE review_id IS NOT NULL")).toBe(
      threads,
    );
    expect(
      await count(
        "SELECT count(DISTINCT review_id)::int AS n FROM feedback WHERE review_id IS NOT NULL",
      ),
    ).toBe(threads);
    expect(await count("SELECT count(*)::int AS n FROM runs WHERE status = 'failed'")).toBe(0);
    expect(
      await count("SELECT count(*)::int AS n FROM threads WHERE provenance = 'approved'"),
    ).toBe(threads);
  }, 240_000);

  it("answers 503 database_unavailable and /readyz 503 while the server is unreachable, then recovers by itself", async () => {
    await proxy.down();
    const during = await h.call("POST", "/threads", { question: QUESTIONS.answerable });
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ error: { code: "database_unavailable" } });
    const list = await h.call("GET", "/reviews");
    expect(list.status).toBe(503);
    const ready = await h.call("GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ database: "down" });
    expect((await h.call("GET", "/healthz")).status).toBe(200);
    // Workers and the sweeper keep failing to reach it for a while; nothing may end the process.
    await sleep(1500);

    await proxy.up();
    await until(
      async () => (await h.call("GET", "/readyz")).status === 200,
      "readiness",
      60_000,
      100,
    );
    const after = await h.call("POST", "/threads?wait=20", { question: QUESTIONS.answerable });
    expect(after.status, JSON.stringify(after.body)).toBe(202);
    expect(after.body).toMatchObject({ status: "completed", provenance: "auto" });
  });
});
