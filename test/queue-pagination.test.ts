import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { decodeCursor } from "../src/services/reviews/cursor.js";
import { listReviews, type ListFilter } from "../src/services/reviews/queue.js";
import { testDatabases } from "./support/databases.js";

const NOW = new Date("2026-06-01T12:00:00Z");

interface Seed {
  review_id: string;
  status: "pending" | "decided";
  stage: "retrieval" | "answer";
  risk_tier: "low" | "medium" | "high";
  queue: "main" | "escalation";
  priority: number;
  /** Microseconds since the epoch: many reviews share one. */
  created_us: number;
  claimed_by: string | null;
  claim_live: boolean;
}

/** 96 reviews with many ties on priority and on created_at, across every filter's values. */
function seeds(): Seed[] {
  const out: Seed[] = [];
  const base = Date.parse("2026-05-01T00:00:00Z") * 1000;
  for (let i = 0; i < 96; i++) {
    const escalated = i % 11 === 0;
    out.push({
      review_id: `00000000-0000-4000-8000-${(((i * 37) % 96) + 1).toString(16).padStart(12, "0")}`,
      status: i % 5 === 0 ? "decided" : "pending",
      stage: i % 3 === 0 ? "answer" : "retrieval",
      risk_tier: (["low", "medium", "high"] as const)[i % 3]!,
      queue: escalated ? "escalation" : "main",
      priority: [100, 100, 250, 300][i % 4]! + (escalated ? 1000 : 0),
      // Four distinct instants, one of them days older, microseconds that a JS Date would drop.
      created_us: base + [0, 123_457, 123_457, -5 * 86_400_000_000][i % 4]! + (i % 2) * 1,
      claimed_by: i % 7 === 0 ? "ann" : i % 7 === 1 ? "bob" : null,
      claim_live: i % 14 < 7,
    });
  }
  return out;
}

/** An ISO timestamp with all six fractional digits. */
function microsecondIso(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 23)}${String(us % 1000).padStart(3, "0")}Z`;
}

function expected(rows: Seed[], filter: Omit<ListFilter, "limit" | "cursor">): string[] {
  const minAgeUs = filter.older_than === undefined ? undefined : filter.older_than * 1_000_000;
  return rows
    .filter(
      (r) =>
        (!filter.status || r.status === filter.status) &&
        (!filter.stage || r.stage === filter.stage) &&
        (!filter.risk_tier || r.risk_tier === filter.risk_tier) &&
        (!filter.queue || r.queue === filter.queue) &&
        (filter.assignee === undefined ||
          (filter.assignee === "none"
            ? !r.claimed_by || !r.claim_live
            : r.claimed_by === filter.assignee && r.claim_live)) &&
        (minAgeUs === undefined || r.created_us <= NOW.getTime() * 1000 - minAgeUs),
    )
    .sort(
      (a, b) =>
        b.priority - a.priority ||
        a.created_us - b.created_us ||
        (a.review_id < b.review_id ? -1 : a.review_id > b.review_id ? 1 : 0),
    )
    .map((r) => r.review_id);
}

describe.each(testDatabases)("queue pagination ($name)", (kind) => {
  let db: Database;
  const rows = seeds();

  beforeAll(async () => {
    db = await kind.open();
    await migrate(db.pool);
    await db.pool.query(
      `INSERT INTO threads (thread_id, question, status) VALUES
         ('00000000-0000-4000-8000-000000000000', 'q', 'awaiting_review')`,
    );
    for (const r of rows) {
      await db.pool.query(
        `INSERT INTO reviews (review_id, thread_id, interrupt_id, stage, status, priority, risk_tier,
           reason, trigger, interrupt, created_at, claimed_by, claim_expires_at, queue)
         VALUES ($1::uuid, '00000000-0000-4000-8000-000000000000', $1::text, $2, $3, $4, $5, 'r', '{}',
           '{"action_request": {"action": "review", "args": {"answer": ""}},
             "card": {"stage": "answer", "reasons": ["r"], "question": "q"}}',
           $6::timestamptz, $7, $8, $9)`,
        [
          r.review_id,
          r.stage,
          r.status,
          r.priority,
          r.risk_tier,
          microsecondIso(r.created_us),
          r.claimed_by,
          r.claimed_by
            ? new Date(NOW.getTime() + (r.claim_live ? 60_000 : -60_000)).toISOString()
            : null,
          r.queue,
        ],
      );
    }
  });

  afterAll(async () => {
    await db?.close();
  });

  const filters: Omit<ListFilter, "limit" | "cursor">[] = [
    {},
    { status: "pending" },
    { status: "decided" },
    { status: "pending", stage: "answer" },
    { stage: "retrieval" },
    { status: "pending", risk_tier: "low" },
    { risk_tier: "high" },
    { status: "pending", queue: "main" },
    { queue: "escalation" },
    { status: "pending", assignee: "ann" },
    { assignee: "bob" },
    { status: "pending", assignee: "none" },
    { status: "pending", older_than: 33 * 86_400 },
    { older_than: 0 },
    { status: "pending", risk_tier: "medium", stage: "retrieval", assignee: "none" },
  ];

  it.each(filters)("pages through ties in queue order: %o", async (filter) => {
    const want = expected(rows, filter);
    expect(want.length).toBeGreaterThan(0);
    for (const limit of [1, 3, 7, 100]) {
      const seen: string[] = [];
      let cursor: ListFilter["cursor"];
      for (let pages = 0; pages < 200; pages++) {
        const page = await listReviews(
          { pool: db.pool, now: () => NOW },
          { ...filter, limit, cursor },
        );
        seen.push(...page.items.map((i) => i.review_id));
        expect(page.items.length).toBeLessThanOrEqual(limit);
        if (!page.next_cursor) break;
        // As a client would send it back.
        cursor = decodeCursor(page.next_cursor);
        expect(cursor).toBeDefined();
      }
      expect(seen, `limit ${limit}`).toEqual(want);
    }
  });
});
