import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Queryable } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { migrateBefore } from "./support/migrations.js";
import type { Decision, DecisionType } from "../src/graph/decision.js";
import type { ReviewCard, ReviewTrigger } from "../src/graph/review-card.js";
import type { Provenance } from "../src/graph/state.js";
import { reviewCounts } from "../src/repositories/review-counts.js";
import {
  claimReview,
  escalateReview,
  expireClaims,
  insertReviewOnce,
  markDecided,
  releaseClaim,
} from "../src/repositories/reviews.js";
import {
  completeThread,
  deleteThreadRow,
  setThreadStatus,
  type ThreadStatus,
} from "../src/repositories/threads.js";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";
import { seededRandom } from "./support/seeded-random.js";

/** /metrics' histogram buckets, restated: the recount must not borrow the migration's function. */
const BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];
const bucketOf = (d: string) =>
  `coalesce((SELECT min(le) FROM unnest('{${BUCKETS.join(",")}}'::int[]) le WHERE ${d} <= le)::text, '+Inf')`;

/** Every count migrations 0009 and 0017 keep, counted from the rows as /metrics used to. */
const RECOUNT = `
  SELECT 'pending' AS family, stage AS key1, risk_tier AS key2, queue AS key3, count(*) AS n,
    0::numeric AS seconds
  FROM reviews WHERE status = 'pending' GROUP BY 2, 3, 4
  UNION ALL
  SELECT 'escalated', stage, risk_tier, '', count(*), 0 FROM reviews
  WHERE escalated_at IS NOT NULL GROUP BY 2, 3
  UNION ALL
  SELECT 'decided', stage, coalesce(decision_type, ''),
    CASE WHEN decided_by = 'system:sla' THEN 'sla' ELSE 'human' END, count(*), 0
  FROM reviews WHERE status = 'decided' GROUP BY 2, 3, 4
  UNION ALL
  SELECT 'claim_latency', stage, ${bucketOf("d")}, '', count(*), sum(d)
  FROM (SELECT stage, extract(epoch FROM first_claimed_at - created_at) AS d FROM reviews
        WHERE first_claimed_at IS NOT NULL) x GROUP BY 2, 3
  UNION ALL
  SELECT 'decision_latency', stage, ${bucketOf("d")}, '', count(*), sum(d)
  FROM (SELECT stage, extract(epoch FROM decided_at - created_at) AS d FROM reviews
        WHERE decided_at IS NOT NULL) x GROUP BY 2, 3
  UNION ALL
  SELECT 'threads', status, coalesce(provenance, ''), '', count(*), 0 FROM threads GROUP BY 2, 3
  UNION ALL
  SELECT 'pending_reason', reason_key, stage, '', count(*), 0 FROM reviews
  WHERE status = 'pending' GROUP BY 2, 3`;

/** Where the kept counts and a recount differ (exactly: numeric sums, no rounding). */
async function mismatches(db: Queryable) {
  const { rows } = await db.query(
    `WITH recount AS (${RECOUNT}),
       kept AS (SELECT family, key1, key2, key3, sum(n) AS n, sum(seconds) AS seconds
                FROM review_counts GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
     SELECT coalesce(r.family, k.family) AS family, coalesce(r.key1, k.key1) AS key1,
       coalesce(r.key2, k.key2) AS key2, coalesce(r.key3, k.key3) AS key3,
       r.n::text AS recount_n, k.n::text AS kept_n, r.seconds::text AS recount_seconds,
       k.seconds::text AS kept_seconds
     FROM recount r FULL JOIN kept k USING (family, key1, key2, key3)
     WHERE r.n IS DISTINCT FROM k.n OR r.seconds IS DISTINCT FROM k.seconds`,
  );
  return rows;
}

async function expectCountsExact(db: Queryable, when: string): Promise<void> {
  expect(await mismatches(db), when).toEqual([]);
  // And as the repository hands them to /metrics.
  const { rows } = await db.query<Record<string, string>>(
    `SELECT * FROM (${RECOUNT}) r ORDER BY family, key1, nullif(key2, ''), nullif(key3, '')`,
  );
  expect(await reviewCounts(db), when).toEqual(
    rows.map((r) => ({ ...r, n: Number(r.n), seconds: Number(r.seconds) })),
  );
}

const TRIGGER = { stage: "answer", reasons: ["r"] } as unknown as ReviewTrigger;
const CARDS = [
  {},
  { stage: "retrieval", retrieval: { passages: [] } },
  { stage: "answer", risk_tier: "high", policy: [{ rule: "x", tier: "high" }] },
] as unknown as ReviewCard[];
const DECISIONS: Record<DecisionType, Decision> = {
  approve: { type: "approve", reasons: [] },
  edit: { type: "edit", answer: "a", reasons: [] },
  respond: { type: "respond", answer: "a", reasons: [] },
  reject: { type: "reject", reasons: [] },
  revise: { type: "revise", instructions: "i", reasons: [] },
};
const THREAD_STATUSES: ThreadStatus[] = ["idle", "queued", "running", "awaiting_review", "failed"];
const PROVENANCES: Provenance[] = ["auto", "approved", "edited", "human", "fallback"];
/** Seconds between a review's creation and its claim: every bucket, negative, and past a day. */
const CLAIM_OFFSETS = [-5, 30, 60, 200, 800, 1700, 3000, 7000, 14_000, 20_000, 86_400, 200_000];

async function insertThreadRow(db: Queryable, status: ThreadStatus = "awaiting_review") {
  const id = randomUUID();
  await db.query("INSERT INTO threads (thread_id, question, status) VALUES ($1, 'q', $2)", [
    id,
    status,
  ]);
  return id;
}

describe.each(testDatabases)("review counts kept by triggers ($name)", (kind) => {
  let db: Database;

  beforeAll(async () => {
    db = await kind.open();
    await migrate(db.pool);
  });

  afterAll(async () => {
    await db?.close();
  });

  it("equal a recount after a random mix of inserts, claims, escalations, decisions and deletes", async () => {
    const random = seededRandom(10);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const threads: string[] = [];
    for (let i = 0; i < 12; i++) threads.push(await insertThreadRow(db.pool));
    const interruptIds: string[] = [];
    const reviewIds = async (where: string) =>
      (
        await db.pool.query<{ review_id: string }>(`SELECT review_id FROM reviews WHERE ${where}`)
      ).rows.map((r) => r.review_id);
    const anyOf = async (where: string) => {
      const ids = await reviewIds(where);
      return ids.length ? pick(ids) : undefined;
    };

    const ops: [weight: number, op: () => Promise<unknown>][] = [
      [
        8,
        async () => {
          // A retried interrupt (same id) must not count twice: ON CONFLICT DO NOTHING.
          const interruptId =
            interruptIds.length && random() < 0.15 ? pick(interruptIds) : randomUUID();
          interruptIds.push(interruptId);
          return insertReviewOnce(db.pool, {
            thread_id: pick(threads),
            interrupt_id: interruptId,
            stage: pick(["retrieval", "answer"] as const),
            priority: 100,
            risk_tier: pick(["low", "medium", "high"]),
            reason: "r",
            trigger: TRIGGER,
            // Cards of three reasons, so the per-reason counts (0017) have groups to keep apart.
            card: pick(CARDS),
            approvals_required: 1,
            escalate_after_minutes: 60,
            fallback_after_minutes: 120,
          });
        },
      ],
      [
        5,
        async () => {
          const id = await anyOf("status = 'pending'");
          const at = new Date(Date.now() + pick(CLAIM_OFFSETS) * 1000);
          return id && claimReview(db.pool, id, pick(["ann", "bob"]), at, 300);
        },
      ],
      [
        2,
        async () => {
          const id = await anyOf("claimed_by IS NOT NULL");
          return id && releaseClaim(db.pool, id);
        },
      ],
      // Many rows in one UPDATE, none of them changing a count.
      [1, () => expireClaims(db.pool, new Date(Date.now() + 10 * 86_400_000))],
      [
        3,
        async () => {
          const id = await anyOf("status = 'pending'");
          return id && escalateReview(db.pool, id, new Date(), 1000);
        },
      ],
      [
        5,
        async () => {
          const id = await anyOf("status = 'pending'");
          const type = pick(Object.keys(DECISIONS) as DecisionType[]);
          const actor = random() < 0.3 ? "system:sla" : "ann";
          return id && markDecided(db.pool, id, DECISIONS[type], actor);
        },
      ],
      [
        2,
        async () => {
          // Moves a review's creation back: both latencies change bucket and sum in one UPDATE.
          const id = await anyOf("true");
          return (
            id &&
            db.pool.query(
              "UPDATE reviews SET created_at = created_at - make_interval(secs => $2) WHERE review_id = $1",
              [id, pick(CLAIM_OFFSETS) + 0.123456],
            )
          );
        },
      ],
      [
        1,
        async () => {
          // Not something the service does (decisions are final), but the trigger must undo too.
          const id = await anyOf("status = 'decided'");
          return (
            id &&
            db.pool.query(
              `UPDATE reviews SET status = 'pending', decision = NULL, decision_type = NULL,
                 decided_by = NULL, decided_at = NULL WHERE review_id = $1`,
              [id],
            )
          );
        },
      ],
      [
        1,
        () =>
          // Several reviews across keys in one statement.
          db.pool.query(
            `UPDATE reviews SET risk_tier = CASE risk_tier WHEN 'low' THEN 'high' ELSE 'low' END,
               stage = CASE WHEN stage = 'answer' THEN 'retrieval' ELSE 'answer' END
             WHERE review_id IN (SELECT review_id FROM reviews ORDER BY interrupt_id
                                 OFFSET $1 LIMIT 6)`,
            [Math.floor(random() * 20)],
          ),
      ],
      [3, () => setThreadStatus(db.pool, pick(threads), pick(THREAD_STATUSES))],
      [
        2,
        () =>
          completeThread(db.pool, pick(threads), {
            answer: "a",
            provenance: pick(PROVENANCES),
            answer_provider: "p",
            citations: [],
            risk_tier: null,
          }),
      ],
      [
        2,
        async () => {
          threads.push(await insertThreadRow(db.pool, pick(THREAD_STATUSES)));
        },
      ],
      [
        1,
        async () => {
          // The protocol's delete: only a thread without reviews goes.
          const id = pick(threads);
          if (await deleteThreadRow(db.pool, id)) threads.splice(threads.indexOf(id), 1);
        },
      ],
      [
        1,
        async () => {
          // A thread deleted with its reviews (ON DELETE CASCADE fires the reviews' trigger).
          if (threads.length < 4) return;
          const id = pick(threads);
          threads.splice(threads.indexOf(id), 1);
          await db.pool.query("DELETE FROM threads WHERE thread_id = $1", [id]);
        },
      ],
      [
        1,
        async () => {
          const id = await anyOf("true");
          return id && db.pool.query("DELETE FROM reviews WHERE review_id = $1", [id]);
        },
      ],
      [
        2,
        async () => {
          // Several changes in one transaction, committed or rolled back.
          // Picked first: the embedded database's pool has one connection, held below.
          const id = await anyOf("status = 'pending'");
          const client = await db.pool.connect();
          try {
            await client.query("BEGIN");
            if (id) {
              await escalateReview(client, id, new Date(), 1000);
              await claimReview(client, id, "ann", new Date(Date.now() + 90_000), 300);
              await markDecided(client, id, DECISIONS.approve, "ann");
            }
            await setThreadStatus(client, pick(threads), pick(THREAD_STATUSES));
            await client.query(random() < 0.5 ? "COMMIT" : "ROLLBACK");
          } finally {
            client.release();
          }
        },
      ],
    ];
    const totalWeight = ops.reduce((sum, [w]) => sum + w, 0);
    for (let step = 1; step <= 400; step++) {
      let r = random() * totalWeight;
      const op = ops.find(([w]) => (r -= w) < 0)![1];
      await op();
      if (step % 50 === 0) await expectCountsExact(db.pool, `after step ${step}`);
    }

    expect(
      (
        await db.pool.query(
          "SELECT DISTINCT key1 FROM review_counts WHERE family = 'pending_reason' ORDER BY 1",
        )
      ).rows.map((r) => r.key1),
    ).toEqual(["policy:x", "retrieval:no_passages", "unknown"]);
    // The mix reached every family, and both ways of deciding.
    const families = await db.pool.query<{ family: string; key3: string }>(
      "SELECT DISTINCT family, key3 FROM review_counts WHERE n > 0",
    );
    expect(new Set(families.rows.map((r) => r.family))).toEqual(
      new Set([
        "pending",
        "escalated",
        "decided",
        "claim_latency",
        "decision_latency",
        "threads",
        "pending_reason",
      ]),
    );
    expect(families.rows.filter((r) => r.family === "decided").map((r) => r.key3)).toEqual(
      expect.arrayContaining(["human", "sla"]),
    );

    // Bulk: one INSERT of 5,000 reviews (as bench/queue.ts loads them), one UPDATE deciding 1,000
    // of them with their latencies, one DELETE of 500.
    const bulkThread = await insertThreadRow(db.pool);
    await db.pool.query(
      `INSERT INTO reviews (thread_id, interrupt_id, stage, status, risk_tier, reason, trigger,
         interrupt, queue, escalated_at, first_claimed_at, created_at)
       SELECT $1, 'bulk-' || i, (ARRAY['retrieval', 'answer'])[1 + i % 2], 'pending',
         (ARRAY['low', 'medium', 'high'])[1 + i % 3], 'r', '{}', '{}',
         CASE WHEN i % 7 = 0 THEN 'escalation' ELSE 'main' END,
         CASE WHEN i % 7 = 0 THEN now() END,
         CASE WHEN i % 3 = 0 THEN now() + make_interval(secs => i * 17.000001) END, now()
       FROM generate_series(1, 5000) i`,
      [bulkThread],
    );
    await expectCountsExact(db.pool, "after the bulk insert");
    await db.pool.query(
      `UPDATE reviews SET status = 'decided', decision_type = (ARRAY['approve', 'reject'])[1 + i % 2],
         decided_by = CASE WHEN i % 5 = 0 THEN 'system:sla' ELSE 'bob' END,
         decided_at = created_at + make_interval(secs => i * 91.5)
       FROM generate_series(1, 1000) i WHERE interrupt_id = 'bulk-' || i`,
    );
    await expectCountsExact(db.pool, "after the bulk decision");
    await db.pool.query(
      "DELETE FROM reviews WHERE interrupt_id IN (SELECT 'bulk-' || i FROM generate_series(1, 1000, 2) i)",
    );
    await expectCountsExact(db.pool, "after the bulk delete");
  });

  it("stay exact under concurrent decisions, spread over slots", async () => {
    const thread = await insertThreadRow(db.pool);
    const { rows } = await db.pool.query<{ review_id: string }>(
      `INSERT INTO reviews (thread_id, interrupt_id, stage, risk_tier, reason, trigger, interrupt)
       SELECT $1, 'concurrent-' || i, 'answer', 'low', 'r', '{}', '{}' FROM generate_series(1, 60) i
       RETURNING review_id`,
      [thread],
    );
    // Each decision in a transaction of its own, as the service decides, all at once: on
    // Postgres they run on the pool's ten connections and meet on the same keys.
    await Promise.all(
      rows.map(async ({ review_id }, i) => {
        const client = await db.pool.connect();
        try {
          await client.query("BEGIN");
          await client.query("SELECT 1 FROM reviews WHERE review_id = $1 FOR UPDATE", [review_id]);
          await claimReview(client, review_id, "ann", new Date(Date.now() + i * 1000), 300);
          await markDecided(client, review_id, DECISIONS.approve, i % 4 ? "ann" : "system:sla");
          await client.query("COMMIT");
        } finally {
          client.release();
        }
      }),
    );
    await expectCountsExact(db.pool, "after concurrent decisions");
    const slots = await db.pool.query<{ n: number }>(
      `SELECT count(DISTINCT slot)::int AS n FROM review_counts
       WHERE family = 'decided' AND key1 = 'answer' AND key2 = 'approve'`,
    );
    expect(slots.rows[0]!.n).toBeGreaterThan(1);
  });

  it("are emptied by TRUNCATE", async () => {
    await db.pool.query("TRUNCATE threads CASCADE");
    await expectCountsExact(db.pool, "after TRUNCATE");
    expect((await reviewCounts(db.pool)).length).toBe(0);
  });
});

describe.each(testDatabases)("migration 0009 on a database with data ($name)", (kind) => {
  let db: Database;

  beforeAll(async () => {
    db = await kind.open();
  });

  afterAll(async () => {
    await db?.close();
  });

  it("backfills the counts from the rows already there", async () => {
    // The schema as it was before 0009, with reviews and threads in it.
    await migrateBefore(db.pool, 9);
    await db.pool.query(
      `INSERT INTO threads (thread_id, question, status, provenance)
       SELECT md5('t' || i)::uuid, 'q', (ARRAY['awaiting_review', 'completed', 'failed'])[1 + i % 3],
         CASE WHEN i % 3 = 1 THEN (ARRAY['auto', 'human'])[1 + i % 2] END
       FROM generate_series(1, 300) i`,
    );
    await db.pool.query(
      `INSERT INTO reviews (thread_id, interrupt_id, stage, status, risk_tier, reason, trigger,
         interrupt, queue, escalated_at, first_claimed_at, decision_type, decided_by, decided_at,
         created_at)
       SELECT md5('t' || (1 + i % 300))::uuid, 'old-' || i, (ARRAY['retrieval', 'answer'])[1 + i % 2],
         CASE WHEN i % 4 = 0 THEN 'decided' ELSE 'pending' END, (ARRAY['low', 'high'])[1 + i % 2],
         'r', '{}', '{}', CASE WHEN i % 9 = 0 THEN 'escalation' ELSE 'main' END,
         CASE WHEN i % 9 = 0 THEN now() END,
         CASE WHEN i % 2 = 0 THEN now() - interval '1 day' + make_interval(secs => i * 40.5) END,
         CASE WHEN i % 4 = 0 THEN 'edit' END, CASE WHEN i % 8 = 0 THEN 'system:sla' WHEN i % 4 = 0 THEN 'ann' END,
         CASE WHEN i % 4 = 0 THEN now() END, now() - interval '1 day'
       FROM generate_series(1, 2000) i`,
    );
    const { applied } = await migrate(db.pool);
    expect(applied[0]).toBe("0009_review_counts"); // and the migrations after it
    expect(applied.every((name) => name >= "0009")).toBe(true);
    await expectCountsExact(db.pool, "after the backfill");
    // And kept from there on.
    await db.pool.query(
      "UPDATE reviews SET status = 'decided', decision_type = 'approve', decided_by = 'bob', decided_at = now() WHERE interrupt_id LIKE 'old-1%' AND status = 'pending'",
    );
    await expectCountsExact(db.pool, "after decisions on backfilled reviews");
  });
});

/**
 * The review and thread families as /metrics computed them before migration 0009, by counting
 * rows (the queries of the previous src/metrics/prometheus.ts), as `name{labels}` → value in the
 * order they were written.
 */
async function countedSamples(db: Queryable): Promise<[string, number][]> {
  const out: [string, number][] = [];
  const sample = (name: string, labels: Record<string, string>, value: number) => {
    const body = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(",");
    out.push([`${name}${body ? `{${body}}` : ""}`, value]);
  };
  const depth = await db.query(
    `SELECT stage, risk_tier, queue, count(*) AS n FROM reviews WHERE status = 'pending'
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  for (const r of depth.rows) {
    sample(
      "signoff_review_queue_depth",
      { stage: r.stage, risk_tier: r.risk_tier, queue: r.queue },
      Number(r.n),
    );
  }
  for (const [name, column] of [
    ["signoff_review_time_to_claim_seconds", "first_claimed_at"],
    ["signoff_review_time_to_decision_seconds", "decided_at"],
  ] as const) {
    const buckets = BUCKETS.map((le, i) => `count(*) FILTER (WHERE d <= ${le}) AS b${i}`).join();
    const { rows } = await db.query(
      `SELECT stage, ${buckets}, count(*) AS n, coalesce(sum(d), 0) AS total
       FROM (SELECT stage, extract(epoch FROM ${column} - created_at)::float8 AS d FROM reviews
             WHERE ${column} IS NOT NULL) x GROUP BY stage ORDER BY stage`,
    );
    for (const row of rows) {
      BUCKETS.forEach((le, i) =>
        sample(`${name}_bucket`, { stage: row.stage, le: String(le) }, Number(row[`b${i}`])),
      );
      sample(`${name}_bucket`, { stage: row.stage, le: "+Inf" }, Number(row.n));
      sample(`${name}_sum`, { stage: row.stage }, Number(row.total));
      sample(`${name}_count`, { stage: row.stage }, Number(row.n));
    }
  }
  const escalations = await db.query(
    `SELECT stage, risk_tier, count(*) AS n FROM reviews WHERE escalated_at IS NOT NULL
     GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  for (const r of escalations.rows) {
    sample(
      "signoff_review_escalations_total",
      { stage: r.stage, risk_tier: r.risk_tier },
      Number(r.n),
    );
  }
  const decisions = await db.query(
    `SELECT stage, decision_type, decided_by = 'system:sla' AS sla, count(*) AS n FROM reviews
     WHERE status = 'decided' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  for (const r of decisions.rows) {
    sample(
      "signoff_review_decisions_total",
      { stage: r.stage, type: r.decision_type, by: r.sla ? "sla" : "human" },
      Number(r.n),
    );
  }
  const threads = await db.query(
    "SELECT status, provenance, count(*) AS n FROM threads GROUP BY 1, 2 ORDER BY 1, 2",
  );
  let completed = 0;
  let auto = 0;
  for (const r of threads.rows) {
    sample("signoff_threads", { status: r.status, provenance: r.provenance ?? "" }, Number(r.n));
    if (r.status === "completed") completed += Number(r.n);
    if (r.status === "completed" && r.provenance === "auto") auto += Number(r.n);
  }
  sample("signoff_auto_answer_ratio", {}, completed ? auto / completed : 0);
  return out;
}

describe.each(testDatabases)("GET /metrics from the kept counts ($name)", (kind) => {
  const h = useHarness(kind, { worker: false });

  it("reports what counting the rows reported", async () => {
    const threads = [];
    for (const [status, provenance] of [
      ["awaiting_review", null],
      ["awaiting_review", null],
      ["completed", "auto"],
      ["completed", "approved"],
      ["completed", "auto"],
      ["failed", null],
      ["queued", null],
    ] as const) {
      const id = randomUUID();
      threads.push(id);
      await h.db.pool.query(
        "INSERT INTO threads (thread_id, question, status, provenance) VALUES ($1, 'q', $2, $3)",
        [id, status, provenance],
      );
    }
    // Latencies on and around the bucket bounds, past the last one, and fractional.
    const fixture: [
      stage: string,
      risk: string,
      claimS: number | null,
      decideS: number | null,
      type: string | null,
      by: string | null,
      escalated: boolean,
    ][] = [
      ["answer", "high", 30, 3600, "approve", "ann", false],
      ["answer", "high", 60, 3600.000001, "edit", "ann", true],
      ["answer", "low", null, null, null, null, false],
      ["answer", "low", 60.5, null, null, null, true],
      ["retrieval", "medium", 299.999999, 90_000, "reject", "system:sla", true],
      ["retrieval", "medium", null, 86_400, "approve", "system:sla", false],
      ["retrieval", "low", 14_400.25, null, null, null, false],
      ["retrieval", "low", null, null, null, null, false],
      ["retrieval", "low", null, 7.123456, "respond", "bob", false],
    ];
    const created = "2026-06-01T00:00:00.000001Z";
    for (const [i, [stage, risk, claimS, decideS, type, by, escalated]] of fixture.entries()) {
      await h.db.pool.query(
        `INSERT INTO reviews (thread_id, interrupt_id, stage, status, risk_tier, reason, trigger,
           interrupt, created_at, first_claimed_at, decided_at, decision_type, decided_by, queue,
           escalated_at)
         VALUES ($1, $2, $3, $4, $5, 'r', '{}', '{}', $6::timestamptz,
           $6::timestamptz + make_interval(secs => $7), $6::timestamptz + make_interval(secs => $8),
           $9, $10, $11, CASE WHEN $12 THEN $6::timestamptz END)`,
        [
          threads[i % 2]!,
          `fixture-${i}`,
          stage,
          decideS === null ? "pending" : "decided",
          risk,
          created,
          claimS,
          decideS,
          type,
          by,
          escalated ? "escalation" : "main",
          escalated,
        ],
      );
    }

    const res = await h.app.request("/metrics");
    expect(res.status).toBe(200);
    const text = await res.text();
    const reported: [string, number][] = [];
    for (const line of text.split("\n")) {
      const m = /^(signoff_(?:review_|threads|auto_answer)\S*) (\S+)$/.exec(line);
      if (m) reported.push([m[1]!, Number(m[2])]);
    }
    const expected = await countedSamples(h.db.pool);
    expect(expected.length).toBeGreaterThan(40);
    // The same series in the same order; sums to float precision (they were float8 sums, they are
    // numeric sums now), everything else exactly.
    expect(reported.map(([k]) => k)).toEqual(expected.map(([k]) => k));
    for (const [i, [key, value]] of expected.entries()) {
      if (key.includes("_sum{")) expect(reported[i]![1], key).toBeCloseTo(value, 6);
      else expect(reported[i]![1], key).toBe(value);
    }
  });
});
