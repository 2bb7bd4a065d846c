import { randomUUID } from "node:crypto";
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createKey } from "../src/auth/keys.js";
import { OpenModeGate } from "../src/auth/open-mode.js";
import { openDatabase, type Database, type Queryable } from "../src/db/database.js";
import {
  CHANNELS,
  LISTENER_APPLICATION_NAME,
  listenerConnection,
  NotificationListener,
} from "../src/db/notifications.js";
import { appendRunEvent, appendRunEvents } from "../src/repositories/run-events.js";
import { cancelRun, type Lease } from "../src/repositories/runs.js";
import { findThread } from "../src/repositories/threads.js";
import { RunSignals } from "../src/runs/thread-events.js";
import { createRuntime, type Runtime } from "../src/runtime.js";
import { reopenable, testDatabaseUrl, type ReopenableDatabase } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { startHarness, testEnv, type Harness } from "./support/harness.js";
import { capturedLog } from "./support/log-lines.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import { until } from "./support/until.js";

/**
 * Far longer than any test runs: a wait given this long that resolves was woken by a signal,
 * never by its own timer (the stand-in for the poll interval of `?wait=`, workers and streams).
 */
const NEVER_MS = 10 * 60_000;

/** Fails with `what` instead of hanging until the test's timeout. */
async function signalled(wake: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no signal: ${what}`)), 20_000);
  });
  try {
    await Promise.race([wake, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A proxy whose open connections can be frozen: they stay open and carry nothing, as when the
 * server's host vanishes without a FIN or RST. New connections go through as usual.
 */
async function freezableProxy(target: { host: string; port: number }) {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    urlFor(url: string): string {
      const through = new URL(url);
      through.hostname = "127.0.0.1";
      through.port = String(port);
      return through.toString();
    },
    freeze(): void {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    async close(): Promise<void> {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const DISCONNECTED = "notification listener disconnected; polling until it reconnects";
const RECONNECTED = "notification listener reconnected; cross-process wake-ups are back";

describe("notifications on the embedded database", () => {
  it("takes no second connection: the process's own signals cover its one process", async () => {
    const db = await openDatabase({});
    const h = await startHarness(db, { worker: false });
    try {
      expect(h.runtime.notifications).toBeUndefined();
      expect(db.pool.totalCount).toBeLessThanOrEqual(1);
      // Every change is this process's own, so `?wait=` needs no short polls.
      expect(h.runtime.signals.pollMs).toBe(new RunSignals({ coversAllProcesses: true }).pollMs);
    } finally {
      await h.close();
      await db.close();
    }
  });
});

/**
 * Two runtimes on one real Postgres database stand for two processes: they share nothing but the
 * database (each has its own RunSignals). A: API and worker, connected directly. B: no worker,
 * connected through a proxy the tests cut, with its log captured.
 */
describe.runIf(testDatabaseUrl)("LISTEN/NOTIFY wake-ups across processes (postgres)", () => {
  let store: ReopenableDatabase;
  let proxy: TcpProxy;
  let dbA: Database;
  let dbB: Database;
  let a: Harness;
  let b: Runtime;
  let admin: pg.Client;
  const log = capturedLog("info");

  beforeAll(async () => {
    store = await reopenable("postgres");
    const target = new URL(store.url!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    dbA = await openDatabase({ url: store.url, poolSize: 4 });
    a = await startHarness(dbA);
    dbB = await openDatabase({ url: proxy.urlFor(store.url!), poolSize: 2 });
    b = await createRuntime({
      env: testEnv(),
      logger: log.logger,
      database: dbB,
      startWorker: false,
    });
    admin = new pg.Client({ connectionString: store.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await b?.close();
    await a?.close();
    await dbB?.close();
    await dbA?.close();
    await proxy?.down();
    await store?.destroy();
  });

  /** A thread whose start run is queued and not taken: A's worker is stopped meanwhile. */
  async function queuedThread(): Promise<{ threadId: string; runId: string }> {
    const res = await a.call("POST", "/threads", { question: QUESTIONS.highRisk });
    expect(res.status).toBe(202);
    const threadId = res.body.thread_id as string;
    const { rows } = await dbA.pool.query<{ run_id: string }>(
      "SELECT run_id FROM runs WHERE thread_id = $1",
      [threadId],
    );
    return { threadId, runId: rows[0]!.run_id };
  }

  it("is listening once the runtime has started", () => {
    expect(a.runtime.notifications?.connected).toBe(true);
    expect(b.notifications?.connected).toBe(true);
    expect(b.signals.pollMs).toBe(new RunSignals({ coversAllProcesses: true }).pollMs);
  });

  /** A's worker stopped: the runs A queues are not claimed for it as they are enqueued. */
  async function withoutAsWorker<T>(work: () => Promise<T>): Promise<T> {
    await a.runtime.worker!.stop();
    try {
      return await work();
    } finally {
      a.runtime.worker!.start();
    }
  }

  it("an enqueue in one process wakes the workers of another", async () => {
    const connections = b.notifications!.connections;
    const enqueued = vi.spyOn(b.signals, "runEnqueued");
    const woke = b.signals.nextRun(NEVER_MS);
    const res = await withoutAsWorker(() =>
      a.call("POST", "/threads", { question: QUESTIONS.answerable }),
    );
    expect(res.status).toBe(202);
    await signalled(woke, "B's worker wait after A enqueued");
    expect(enqueued).toHaveBeenCalled();
    // Not a resync after a reconnect: the notification itself.
    expect(b.notifications!.connections).toBe(connections);
    enqueued.mockRestore();
  });

  it("a run ending in one process wakes `?wait=` and stream waiters of another", async () => {
    // A's worker is held until B waits, so the run cannot end before anyone is waiting.
    await a.runtime.worker!.stop();
    let waits: Promise<void>[] = [];
    let threadId: string;
    try {
      const queued = await queuedThread();
      threadId = queued.threadId;
      waits = [
        b.signals.nextThreadChange(queued.threadId, NEVER_MS),
        b.signals.nextRunEvents(queued.runId, NEVER_MS),
      ];
    } finally {
      a.runtime.worker!.start();
    }
    await signalled(waits[0]!, "B's `?wait=` after A's worker paused the thread");
    await signalled(waits[1]!, "B's stream reader after A's worker ended the run");
    // Sent on commit: what woke B is already visible to it.
    expect((await findThread(dbB.pool, threadId))!.status).toBe("awaiting_review");
  });

  it("appended run events wake stream readers elsewhere, and only when rows went in", async () => {
    await a.runtime.worker!.stop();
    let threadId: string;
    let runId: string;
    try {
      ({ threadId, runId } = await queuedThread());
      // This test holds the run as a worker would.
      await dbA.pool.query(
        `UPDATE runs SET status = 'running', worker_id = 'test-worker', attempts = 1,
           lease_until = now() + interval '1 minute' WHERE run_id = $1`,
        [runId],
      );
    } finally {
      a.runtime.worker!.start();
    }
    const lease: Lease = { runId, workerId: "test-worker", attempt: 1 };
    const written = vi.spyOn(b.signals, "runEventsWritten");

    let woke = b.signals.nextRunEvents(runId, NEVER_MS);
    const batch = [1, 2, 3].map((seq) => ({ seq, event: "custom", data: `{"n":${seq}}` }));
    expect(await appendRunEvents(dbA.pool, lease, batch)).toBe(true);
    await signalled(woke, "B's stream reader after A appended a batch");
    // The notify rides on the insert; every row of the batch went in, not just the first.
    const { rows } = await dbA.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM run_events WHERE run_id = $1",
      [runId],
    );
    expect(rows[0]!.n).toBe(3);

    // A fenced-off writer inserts nothing and notifies nothing. Notifications arrive in commit
    // order, so once a marker sent after it has arrived, any it had sent would have too.
    written.mockClear();
    const stale = { ...lease, attempt: 0 };
    expect(await appendRunEvents(dbA.pool, stale, [{ seq: 4, event: "custom", data: "{}" }])).toBe(
      false,
    );
    const marker = randomUUID();
    const markerSeen = b.signals.nextRunEvents(marker, NEVER_MS);
    await dbA.pool.query("SELECT pg_notify($1, $2)", [CHANNELS.runEvents, marker]);
    await signalled(markerSeen, "the marker notification");
    expect(written.mock.calls.map(([id]) => id)).toEqual([marker]);

    woke = b.signals.nextRunEvents(runId, NEVER_MS);
    await appendRunEvent(dbA.pool, runId, { event: "error", data: "{}" });
    await signalled(woke, "B's stream reader after A appended one event");

    // Cancelling notifies too, and the caller still gets a plain run row.
    const streamEnded = b.signals.nextRunEvents(runId, NEVER_MS);
    const threadMoved = b.signals.nextThreadChange(threadId, NEVER_MS);
    const cancelled = await cancelRun(dbA.pool, runId);
    expect(cancelled?.status).toBe("failed");
    expect(Object.keys(cancelled!)).not.toContain("pg_notify");
    await signalled(streamEnded, "B's stream reader after A cancelled the run");
    await signalled(threadMoved, "B's `?wait=` after A cancelled the run");
    written.mockRestore();
  });

  it("lives through its connection being cut, reconnects, resyncs and wakes again", async () => {
    const listener = b.notifications!;
    const connections = listener.connections;
    // Only a resync can wake a wait on a thread nobody touches.
    const resynced = b.signals.nextThreadChange(randomUUID(), NEVER_MS);
    await proxy.down();
    try {
      await until(() => !listener.connected, "B's listener to notice the cut");
      // Other processes' changes are now seen by polling only: `?wait=` looks more often.
      expect(b.signals.pollMs).toBe(new RunSignals().pollMs);
      await until(
        () => log.lines.some((l) => l.level === 40 && l.msg === DISCONNECTED),
        "the warning",
      );
      // While away, the other process's work still goes on (B would see it by polling).
      const res = await a.call("POST", "/threads", { question: QUESTIONS.answerable });
      expect(res.status).toBe(202);
    } finally {
      await proxy.up();
    }
    await until(() => listener.connected, "B's listener to reconnect");
    expect(listener.connections).toBe(connections + 1);
    expect(b.signals.pollMs).toBe(new RunSignals({ coversAllProcesses: true }).pollMs);
    await signalled(resynced, "the resync after reconnecting");
    expect(log.lines.some((l) => l.msg === RECONNECTED)).toBe(true);

    const woke = b.signals.nextRun(NEVER_MS);
    const res = await withoutAsWorker(() =>
      a.call("POST", "/threads", { question: QUESTIONS.answerable }),
    );
    expect(res.status).toBe(202);
    await signalled(woke, "B's worker wait after reconnecting");
  });

  it("reconnects after the server terminates the listening backends", async () => {
    const listeners = [a.runtime.notifications!, b.notifications!];
    const before = listeners.map((l) => l.connections);
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE application_name = $1 AND datname = current_database()`,
      [LISTENER_APPLICATION_NAME],
    );
    // Both listeners (a backend of a connection cut just before may still be on its way out).
    expect(rows[0]!.n).toBeGreaterThanOrEqual(2);
    await until(
      () => listeners.every((l, i) => l.connected && l.connections === before[i]! + 1),
      "both listeners to reconnect",
    );
    const woke = a.runtime.signals.nextRun(NEVER_MS);
    await dbB.pool.query("SELECT pg_notify($1, $2)", [CHANNELS.runs, randomUUID()]);
    await signalled(woke, "A's worker wait after both reconnected");
  });

  it("counts a connection that stops answering as lost, and reconnects", async () => {
    const target = new URL(store.url!);
    const frozen = await freezableProxy({
      host: target.hostname,
      port: Number(target.port || 5432),
    });
    const { lines, logger } = capturedLog("info");
    const listener = new NotificationListener({
      connection: { ...listenerConnection(dbA.pool), connectionString: frozen.urlFor(store.url!) },
      signals: new RunSignals(),
      logger,
      pingMs: 100,
      pingTimeoutMs: 300,
      minRetryMs: 50,
    });
    try {
      await listener.start();
      expect(listener.connected).toBe(true);
      frozen.freeze();
      await until(
        () => listener.connected && listener.connections === 2,
        "the listener to give up the silent connection and open another",
      );
      const warning = lines.find((l) => l.msg === DISCONNECTED);
      expect((warning?.err as { message?: string } | undefined)?.message).toMatch(
        /no answer to a liveness check/,
      );
    } finally {
      await listener.stop();
      await frozen.close();
    }
  });

  it("starts while the database is away or refuses, and never rejects", async () => {
    const { lines, logger } = capturedLog("info");
    const signals = new RunSignals();
    const resynced = signals.nextRun(NEVER_MS);
    await proxy.down();
    const away = new NotificationListener({
      connection: listenerConnection(dbB.pool),
      signals,
      logger,
      minRetryMs: 50,
    });
    const url = new URL(store.url!);
    url.pathname = "/signoff_no_such_database";
    const refused = new NotificationListener({
      connection: { connectionString: url.toString() },
      signals: new RunSignals(),
      logger,
      minRetryMs: 50,
      maxRetryMs: 200,
    });
    try {
      await away.start();
      await refused.start();
      expect(away.connected).toBe(false);
      expect(refused.connected).toBe(false);
      const warnings = lines.filter((l) => l.msg === DISCONNECTED);
      expect(warnings.map((l) => (l.err as { code?: string }).code)).toEqual(
        expect.arrayContaining(["ECONNREFUSED", "3D000"]),
      );
      await proxy.up();
      await until(() => away.connected, "the listener to connect once the database is back");
      await signalled(resynced, "the resync on connecting");
      expect(refused.connected).toBe(false);
    } finally {
      await proxy.up();
      await away.stop();
      await refused.stop();
    }
    expect(away.connected).toBe(false);
  });

  // Last: it makes keys, which end open mode for the other tests' callers too.
  it("ends open mode in one process at another's new key, looking at keys only while unsignalled", async () => {
    let looks = 0;
    // The gate's queries, counted (a Proxy keeps the pool's own query overloads).
    const counting = (db: Database): Queryable =>
      new Proxy(db.pool, {
        get: (target, key) =>
          key === "query"
            ? (...args: unknown[]) => {
                looks++;
                return (target.query as (...a: unknown[]) => unknown)(...args);
              }
            : Reflect.get(target, key),
      });
    // The test before cut B's connection too.
    await until(() => b.notifications!.connected, "B's listener to be back");
    await dbA.pool.query("DELETE FROM api_keys");
    const gate = new OpenModeGate(true, b.signals);
    expect(await gate.isOpen(counting(dbB))).toBe(true);
    expect(await gate.isOpen(counting(dbB))).toBe(true);
    expect(looks).toBe(1); // the first look; then B's listener covers A's keys
    await createKey(dbA.pool, "made-in-a", "admin");
    await until(async () => !(await gate.isOpen(counting(dbB))), "B's gate to close at A's key");
    expect(looks).toBe(1); // closed by the notification, not by looking

    // With B's listener away, a key could be made unseen: B looks on every request.
    await dbA.pool.query("DELETE FROM api_keys");
    await proxy.down();
    try {
      await until(() => !b.notifications!.connected, "B's listener to notice the cut");
      const unsignalled = new OpenModeGate(true, b.signals);
      looks = 0;
      expect(await unsignalled.isOpen(counting(dbA))).toBe(true);
      expect(await unsignalled.isOpen(counting(dbA))).toBe(true);
      expect(looks).toBe(2);
      await createKey(dbA.pool, "made-while-away", "admin");
      expect(await unsignalled.isOpen(counting(dbA))).toBe(false);
    } finally {
      await proxy.up();
    }
  });
});
