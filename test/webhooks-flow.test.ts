import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { verifySignature } from "../src/webhooks/signature.js";
import { Sweeper } from "../src/runs/sweeper.js";
import { createLogger } from "../src/logger.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";
import { ask, decide, pendingReview, QUESTIONS } from "./support/flow.js";

const SECRET = "whsec_flow_0123456789abcdef";

describe.each(testDatabases)("webhooks from the running service ($name)", (kind) => {
  let db: Database;
  let h: Harness;
  let server: Server;
  const received: { type: string; body: any; verified: boolean }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (raw += c));
      req.on("end", () => {
        received.push({
          type: String(req.headers["signoff-event-type"]),
          body: JSON.parse(raw),
          verified: verifySignature(SECRET, String(req.headers["signoff-signature"]), raw),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    db = await kind.open();
    h = await startHarness(db, { env: { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  async function until<T>(find: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = find();
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} webhook arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("announces review.created, review.escalated and thread.completed, signed", async () => {
    const review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
    const created = await until(
      () =>
        received.find(
          (e) => e.type === "review.created" && e.body.data.review_id === review.review_id,
        ),
      "review.created",
    );
    expect(created.verified).toBe(true);
    expect(created.body.data).toMatchObject({
      thread_id: review.thread_id,
      stage: "answer",
      risk_tier: "high",
    });

    const sweeper = new Sweeper(h.runtime.reviewDeps, createLogger("silent"), 60_000);
    await sweeper.sweep(new Date(Date.parse(review.created_at) + 31 * 60_000));
    const escalated = await until(
      () =>
        received.find(
          (e) => e.type === "review.escalated" && e.body.data.review_id === review.review_id,
        ),
      "review.escalated",
    );
    expect(escalated.body.data.reason).toMatch(/not decided within \d+ minutes/);

    await decide(h, review.review_id, { type: "edit", answer: "At most 4,000 mg in 24 hours." });
    const completed = await until(
      () =>
        received.find(
          (e) => e.type === "thread.completed" && e.body.data.thread_id === review.thread_id,
        ),
      "thread.completed",
    );
    expect(completed.verified).toBe(true);
    expect(completed.body.data).toMatchObject({
      provenance: "edited",
      answer: "At most 4,000 mg in 24 hours.",
    });
    // Each event once: the service announced nothing twice.
    const ids = received.map((e) => e.body.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
