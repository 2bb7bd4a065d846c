import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { withTransaction, type Database } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { createLogger } from "../src/logger.js";
import {
  WebhookDeliverer,
  backoffSeconds,
  type WebhookDelivererOptions,
} from "../src/webhooks/deliverer.js";
import { enqueueEvent, type WebhookEventType } from "../src/webhooks/events.js";
import { signPayload, verifySignature } from "../src/webhooks/signature.js";
import { reopenable, testDatabases } from "./support/databases.js";
import { until } from "./support/until.js";

const SECRET = "whsec_test_0123456789abcdef";
const logger = createLogger("silent");

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  id: string;
  status: number;
}

/** A local webhook receiver that records every request and answers as scripted. */
class Receiver {
  readonly requests: Received[] = [];
  /** Status for the n-th request (0-based); "hang" never answers. */
  respond: (n: number) => number | "hang" = () => 200;
  delayMs = 0;

  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = this.respond(this.requests.length);
      const id = String(req.headers["signoff-event-id"]);
      if (status === "hang") {
        this.requests.push({ headers: req.headers, body, id, status: 0 });
        return;
      }
      this.requests.push({ headers: req.headers, body, id, status });
      setTimeout(
        () =>
          res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "nope"),
        this.delayMs,
      );
    });
  });
  url = "";

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.server.address() as AddressInfo;
    receiver.url = `http://127.0.0.1:${port}/hooks`;
    return receiver;
  }

  reset(): void {
    this.requests.length = 0;
    this.respond = () => 200;
    this.delayMs = 0;
  }

  /** How many 2xx answers each event id got. */
  successesById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests)
      if (r.status >= 200 && r.status < 300) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    return counts;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A hand-driven clock, ahead of the database's so events enqueued just now are due. */
class Clock {
  t = Date.now() + 60_000;
  readonly now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

async function enqueue(
  pool: pg.Pool,
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<string> {
  return withTransaction(pool, async (tx) => {
    await enqueueEvent(tx, type, data);
    const { rows } = await tx.query<{ id: string }>("SELECT max(event_id)::text AS id FROM outbox");
    return rows[0]!.id;
  });
}

async function drain(deliverer: WebhookDeliverer): Promise<number> {
  let total = 0;
  for (;;) {
    const { delivered, failed, retried } = await deliverer.deliverDue();
    const n = delivered + failed + retried;
    if (n === 0) return total;
    total += n;
  }
}

describe("signatures", () => {
  const body =
    '{"id":"1","type":"review.created","created_at":"2025-01-01T00:00:00.000Z","data":{}}';
  const t = 1_750_000_000;

  it("signs t.body with HMAC-SHA256 in the Stripe header format", () => {
    const expected = createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex");
    expect(signPayload(SECRET, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it("verifies only the right secret, body and a recent timestamp", () => {
    const header = signPayload(SECRET, body, t);
    const at = (seconds: number) => ({ now: new Date(seconds * 1000) });
    expect(verifySignature(SECRET, header, body, at(t + 10))).toBe(true);
    expect(verifySignature(SECRET, header, body, at(t - 10))).toBe(true);
    expect(verifySignature("another-secret-0123456789", header, body, at(t))).toBe(false);
    expect(verifySignature(SECRET, header, body.replace("{}", '{"x":1}'), at(t))).toBe(false);
    expect(verifySignature(SECRET, header, body, at(t + 301))).toBe(false);
    expect(
      verifySignature(SECRET, header, body, {
        now: new Date((t + 1000) * 1000),
        toleranceSeconds: 1000,
      }),
    ).toBe(true);
    // The timestamp is signed: moving it forward breaks the signature.
    expect(
      verifySignature(SECRET, header.replace(`t=${t}`, `t=${t + 100}`), body, at(t + 100)),
    ).toBe(false);
    // A rotated secret: any matching v1 entry is enough.
    const other = signPayload("old-secret-0123456789abc", body, t).split(",")[1]!;
    expect(verifySignature(SECRET, `${header},${other}`, body, at(t))).toBe(true);
    expect(verifySignature(SECRET, `t=${t},${other}`, body, at(t))).toBe(false);
    for (const bad of [
      "",
      "garbage",
      `t=${t}`,
      `v1=${header.split("v1=")[1]}`,
      `t=abc,v1=${header.split("v1=")[1]}`,
      `t=${t},v1=zz`,
    ]) {
      expect(verifySignature(SECRET, bad, body, at(t))).toBe(false);
    }
    expect(verifySignature(SECRET, undefined, body, at(t))).toBe(false);
  });

  it("backs off exponentially with jitter, capped at an hour", () => {
    expect(backoffSeconds(1, () => 0)).toBe(2);
    expect(backoffSeconds(3, () => 0)).toBe(8);
    expect(backoffSeconds(3, () => 0.999)).toBeGreaterThan(6.4);
    expect(backoffSeconds(30, () => 0)).toBe(3600);
    expect(backoffSeconds(30, () => 0.999)).toBeLessThanOrEqual(3600);
    for (let n = 1; n < 11; n++)
      expect(backoffSeconds(n + 1, () => 0.999)).toBeGreaterThan(backoffSeconds(n, () => 0));
  });
});

describe.each(testDatabases)("webhooks ($name)", (kind) => {
  let db: Database;
  let receiver: Receiver;
  let clock: Clock;

  const deliverer = (overrides: Partial<WebhookDelivererOptions> = {}): WebhookDeliverer =>
    new WebhookDeliverer({
      pool: db.pool,
      logger,
      url: receiver.url,
      secret: SECRET,
      maxAttempts: 5,
      now: clock.now,
      ...overrides,
    });

  const outboxRow = async (id: string) =>
    (await db.pool.query("SELECT * FROM outbox WHERE event_id = $1", [id])).rows[0];
  const deliveries = async (id: string) =>
    (
      await db.pool.query(
        "SELECT * FROM webhook_deliveries WHERE event_id = $1 ORDER BY delivery_id",
        [id],
      )
    ).rows;

  beforeAll(async () => {
    db = await kind.open();
    await migrate(db.pool);
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.close();
  });
  beforeEach(async () => {
    await db.pool.query("DELETE FROM outbox");
    receiver.reset();
    clock = new Clock();
  });

  it("writes an event only when the caller's transaction commits", async () => {
    await expect(
      withTransaction(db.pool, async (tx) => {
        await enqueueEvent(tx, "review.created", { review_id: "r-rolled-back" });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    const id = await enqueue(db.pool, "thread.completed", { thread_id: "t1", tags: ["a", "b"] });
    const { rows } = await db.pool.query(
      "SELECT event_id::text AS id, event_type, payload FROM outbox",
    );
    expect(rows).toEqual([
      { id, event_type: "thread.completed", payload: { thread_id: "t1", tags: ["a", "b"] } },
    ]);
    await expect(enqueueEvent(db.pool, "review.deleted" as WebhookEventType, {})).rejects.toThrow(
      /unknown webhook event type/,
    );
  });

  it("delivers a signed request that verifies with the right secret only", async () => {
    const id = await enqueue(db.pool, "review.created", { review_id: "r1", stage: "answer" });
    expect(await deliverer().deliverDue()).toEqual({ delivered: 1, failed: 0, retried: 0 });

    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["user-agent"]).toBe("signoff-webhooks");
    expect(req!.headers["signoff-event-id"]).toBe(id);
    expect(req!.headers["signoff-event-type"]).toBe("review.created");
    const row = await outboxRow(id);
    expect(JSON.parse(req!.body)).toEqual({
      id,
      type: "review.created",
      created_at: (row.created_at as Date).toISOString(),
      data: { review_id: "r1", stage: "answer" },
    });

    const header = req!.headers["signoff-signature"] as string;
    expect(header).toMatch(new RegExp(`^t=${Math.floor(clock.t / 1000)},v1=[0-9a-f]{64}$`));
    expect(verifySignature(SECRET, header, req!.body, { now: clock.now() })).toBe(true);
    expect(
      verifySignature("wrong-secret-0123456789", header, req!.body, { now: clock.now() }),
    ).toBe(false);
    expect(
      verifySignature(SECRET, header, req!.body.replace("r1", "r2"), { now: clock.now() }),
    ).toBe(false);
    expect(verifySignature(SECRET, header, req!.body, { now: new Date(clock.t + 301_000) })).toBe(
      false,
    );

    expect(row.delivered_at).not.toBeNull();
    expect(row.attempts).toBe(1);
    expect(row.locked_until).toBeNull();
    const log = await deliveries(id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ url: receiver.url, attempt: 1, status_code: 200, error: null });
    expect(log[0].duration_ms).toBeGreaterThanOrEqual(0);
    // Delivered events are not sent again.
    clock.advance(86_400_000);
    expect(await deliverer().deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(receiver.requests).toHaveLength(1);
  });

  it("retries with growing backoff until a 2xx, then stops", async () => {
    receiver.respond = (n) => (n < 2 ? 500 : 200);
    const d = deliverer();
    const id = await enqueue(db.pool, "review.escalated", { review_id: "r2" });

    expect(await d.deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    const first = await outboxRow(id);
    expect(first.attempts).toBe(1);
    expect(first.delivered_at).toBeNull();
    expect(first.locked_until).toBeNull();
    expect(first.last_error).toBe("HTTP 500: nope");
    const gap1 = (first.next_attempt_at as Date).getTime() - clock.t;
    expect(gap1).toBeGreaterThanOrEqual(1600);
    expect(gap1).toBeLessThanOrEqual(2000);

    // Not due yet: nothing is sent.
    clock.advance(gap1 - 50);
    expect(await d.deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(receiver.requests).toHaveLength(1);

    clock.advance(50);
    expect(await d.deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    const second = await outboxRow(id);
    expect(second.attempts).toBe(2);
    const gap2 = (second.next_attempt_at as Date).getTime() - clock.t;
    expect(gap2).toBeGreaterThan(gap1);
    expect(gap2).toBeGreaterThanOrEqual(3200);
    expect(gap2).toBeLessThanOrEqual(4000);

    clock.advance(gap2);
    expect(await d.deliverDue()).toEqual({ delivered: 1, failed: 0, retried: 0 });
    clock.advance(86_400_000);
    expect(await d.deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 0 });

    const done = await outboxRow(id);
    expect(done.attempts).toBe(3);
    expect(done.delivered_at).not.toBeNull();
    expect(done.failed_at).toBeNull();
    expect(done.last_error).toBeNull();
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(receiver.successesById()).toEqual(new Map([[id, 1]]));
    // Same id and bytes on every attempt, so the receiver can dedupe.
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    const log = await deliveries(id);
    expect(log.map((r) => [r.attempt, r.status_code, r.error])).toEqual([
      [1, 500, null],
      [2, 500, null],
      [3, 200, null],
    ]);
  });

  it("gives up after maxAttempts and never tries again", async () => {
    receiver.respond = () => 503;
    const d = deliverer({ maxAttempts: 3 });
    const id = await enqueue(db.pool, "thread.completed", { thread_id: "t3" });

    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await d.deliverDue());
      clock.advance(2 * 3_600_000);
    }
    expect(results).toEqual([
      { delivered: 0, failed: 0, retried: 1 },
      { delivered: 0, failed: 0, retried: 1 },
      { delivered: 0, failed: 1, retried: 0 },
    ]);
    const row = await outboxRow(id);
    expect(row.failed_at).not.toBeNull();
    expect(row.delivered_at).toBeNull();
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBe("HTTP 503: nope");

    clock.advance(30 * 86_400_000);
    receiver.respond = () => 200;
    expect(await d.deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(receiver.requests).toHaveLength(3);
    expect((await deliveries(id)).map((r) => r.status_code)).toEqual([503, 503, 503]);
  });

  it("loses no event across a restart of the database and the deliverer", async () => {
    const store = await reopenable(kind.name);
    try {
      const before = await store.open();
      let ids: string[];
      try {
        await migrate(before.pool);
        ids = [];
        for (let i = 0; i < 6; i++)
          ids.push(await enqueue(before.pool, "review.created", { n: i }));
        // The first process delivers part of the backlog, then goes away.
        const first = new WebhookDeliverer({
          pool: before.pool,
          logger,
          url: receiver.url,
          secret: SECRET,
          maxAttempts: 5,
          batchSize: 2,
        });
        expect(await first.deliverDue()).toEqual({ delivered: 2, failed: 0, retried: 0 });
      } finally {
        await before.close();
      }

      const after = await store.open();
      try {
        await migrate(after.pool);
        const second = new WebhookDeliverer({
          pool: after.pool,
          logger,
          url: receiver.url,
          secret: SECRET,
          maxAttempts: 5,
          pollMs: 20,
        });
        second.start();
        try {
          await until(async () => {
            const { rows } = await after.pool.query<{ n: string }>(
              "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL",
            );
            return rows[0]!.n === "0";
          }, "the backlog to be delivered");
        } finally {
          await second.stop();
        }
        expect(receiver.requests.map((r) => r.id)).toEqual(ids);
        expect(receiver.successesById()).toEqual(new Map(ids.map((id) => [id, 1])));
        const { rows } = await after.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM webhook_deliveries",
        );
        expect(Number(rows[0]!.n)).toBe(6);
      } finally {
        await after.close();
      }
    } finally {
      await store.destroy();
    }
  });

  it("resends an event whose sender died after the POST, once its lease runs out", async () => {
    const id = await enqueue(db.pool, "thread.completed", { thread_id: "t-crash" });
    // A sender whose process dies right after the request: nothing it writes afterwards lands.
    const dying = {
      query: (text: string, values?: unknown[]) =>
        /webhook_deliveries/.test(text)
          ? Promise.reject(new Error("process died"))
          : db.pool.query(text, values),
    } as unknown as pg.Pool;
    await expect(deliverer({ pool: dying }).deliverDue()).rejects.toThrow("process died");
    expect(receiver.requests).toHaveLength(1);
    expect((await outboxRow(id)).locked_until).not.toBeNull();

    // While the lease holds, no other sender touches it.
    const healthy = deliverer();
    clock.advance(20_000);
    expect(await healthy.deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(receiver.requests).toHaveLength(1);

    clock.advance(25_000);
    expect(await healthy.deliverDue()).toEqual({ delivered: 1, failed: 0, retried: 0 });
    // At-least-once: the receiver saw the same event (same id, same body) twice and dedupes by id.
    expect(receiver.requests.map((r) => r.id)).toEqual([id, id]);
    expect(receiver.requests[0]!.body).toBe(receiver.requests[1]!.body);
    expect((await outboxRow(id)).delivered_at).not.toBeNull();
  });

  it("two deliverers running at once send each event once", async () => {
    receiver.delayMs = 2;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await enqueue(db.pool, "review.created", { n: i }));
    const a = deliverer({ batchSize: 5 });
    const b = deliverer({ batchSize: 5 });
    const [sentByA, sentByB] = await Promise.all([drain(a), drain(b)]);
    expect(sentByA + sentByB).toBe(30);
    expect(receiver.requests).toHaveLength(30);
    expect(receiver.successesById()).toEqual(new Map(ids.map((id) => [id, 1])));
    const { rows } = await db.pool.query<{ n: string; attempts: string }>(
      "SELECT count(*) AS n, sum(attempts) AS attempts FROM outbox WHERE delivered_at IS NOT NULL",
    );
    expect(rows[0]).toEqual({ n: "30", attempts: "30" });
  });

  it("two running deliverer loops deliver each event once", async () => {
    const ids: string[] = [];
    const a = deliverer({ now: undefined, pollMs: 10, batchSize: 3 });
    const b = deliverer({ now: undefined, pollMs: 10, batchSize: 3 });
    a.start();
    b.start();
    try {
      for (let i = 0; i < 15; i++) ids.push(await enqueue(db.pool, "thread.completed", { n: i }));
      await until(() => receiver.requests.length >= 15, "15 deliveries");
      await new Promise((r) => setTimeout(r, 100)); // room for a duplicate to show up
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(receiver.successesById()).toEqual(new Map(ids.map((id) => [id, 1])));
    expect(receiver.requests).toHaveLength(15);
  });

  it("delivers oldest first, across transactions and batches", async () => {
    const ids = await withTransaction(db.pool, async (tx) => {
      for (let i = 0; i < 3; i++) await enqueueEvent(tx, "review.created", { n: i });
      const { rows } = await tx.query<{ id: string }>(
        "SELECT event_id::text AS id FROM outbox ORDER BY event_id",
      );
      return rows.map((r) => r.id);
    });
    for (let i = 3; i < 7; i++) ids.push(await enqueue(db.pool, "review.created", { n: i }));
    expect(await drain(deliverer({ batchSize: 2 }))).toBe(7);
    expect(receiver.requests.map((r) => r.id)).toEqual(ids);
    expect(
      receiver.requests.map((r) => (JSON.parse(r.body) as { data: { n: number } }).data.n),
    ).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("does not let a failing event hold back newer ones", async () => {
    receiver.respond = (n) => (n === 0 ? 500 : 200);
    const older = await enqueue(db.pool, "review.created", { n: 0 });
    const newer = await enqueue(db.pool, "review.created", { n: 1 });
    const d = deliverer();
    expect(await d.deliverDue()).toEqual({ delivered: 1, failed: 0, retried: 1 });
    clock.advance(5_000);
    expect(await d.deliverDue()).toEqual({ delivered: 1, failed: 0, retried: 0 });
    expect(receiver.requests.map((r) => [r.id, r.status])).toEqual([
      [older, 500],
      [newer, 200],
      [older, 200],
    ]);
  });

  it("records an unreachable receiver as an error attempt and retries later", async () => {
    const port = await closedPort();
    const d = deliverer({ url: `http://127.0.0.1:${port}/hooks` });
    const id = await enqueue(db.pool, "review.escalated", { review_id: "r4" });
    expect(await d.deliverDue()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    const [attempt] = await deliveries(id);
    expect(attempt).toMatchObject({
      attempt: 1,
      status_code: null,
      url: `http://127.0.0.1:${port}/hooks`,
    });
    expect(attempt.error).toMatch(/ECONNREFUSED/);
    const row = await outboxRow(id);
    expect(row).toMatchObject({
      attempts: 1,
      delivered_at: null,
      failed_at: null,
      locked_until: null,
    });
    expect(row.last_error).toBe(attempt.error);
    expect((row.next_attempt_at as Date).getTime()).toBeGreaterThan(clock.t);

    // The receiver comes back: the next attempt goes through.
    clock.advance(3_000);
    expect(await deliverer().deliverDue()).toEqual({ delivered: 1, failed: 0, retried: 0 });
    expect((await deliveries(id)).map((r) => r.status_code)).toEqual([null, 200]);
  });

  it("times out a receiver that never answers", async () => {
    receiver.respond = () => "hang";
    const id = await enqueue(db.pool, "review.created", { review_id: "r5" });
    expect(await deliverer({ timeoutMs: 300 }).deliverDue()).toEqual({
      delivered: 0,
      failed: 0,
      retried: 1,
    });
    const [attempt] = await deliveries(id);
    expect(attempt).toMatchObject({ attempt: 1, status_code: null, error: "timeout after 300 ms" });
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(250);
    expect(receiver.requests).toHaveLength(1);
  });
});
