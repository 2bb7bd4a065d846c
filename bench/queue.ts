/**
 * The review queue at scale: loads N pending reviews into a scratch database on DATABASE_URL's
 * server and times, through the real code, every documented filter of `GET /reviews`, a page
 * deep in the queue, `/metrics` and the sweeper's queries, with the plan Postgres chose for each.
 *
 *   DATABASE_URL=postgres://… tsx bench/queue.ts [--reviews N] [--decided N] [--runs N] [--explain]
 *
 * Progress goes to stderr, the results table to stdout.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import pg from "pg";
import { parseCli } from "../src/cli/args.js";
import { openDatabase, type Database, type Queryable } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { renderMetrics } from "../src/metrics/prometheus.js";
import {
  expireClaims,
  overdueReviews,
  pendingReasonGroups,
  type QueueCursor,
  type ReviewRow,
} from "../src/repositories/reviews.js";
import { decodeCursor, encodeCursor } from "../src/services/reviews/cursor.js";
import { listReviews, type ListFilter } from "../src/services/reviews/queue.js";

const USAGE = `Usage: DATABASE_URL=postgres://… tsx bench/queue.ts [options]

Creates a scratch database on DATABASE_URL's server (dropped at the end), migrates it, loads
pending reviews with their threads, runs VACUUM ANALYZE, then times each query through the
service's own functions and prints p50/p99 and the plan's scans.

Options:
  --reviews N   pending reviews to load (default 1000000)
  --decided N   decided reviews to load as well, for the metrics (default 100000)
  --runs N      timed runs per query, after 3 warm-up runs (default 50)
  --explain     print every query's full EXPLAIN ANALYZE plan
  -h, --help    this text`;

const PAGE = 20;
/** A query still slower than this after 5 runs stops early, so the baseline finishes. */
const QUERY_BUDGET_MS = 20_000;
const ME = "reviewer-1";
const SOMEONE = "reviewer-2";

class BenchError extends Error {}

const log = (message: string) => process.stderr.write(`${message}\n`);

interface Case {
  name: string;
  run: (db: Queryable) => Promise<unknown>;
  /** Statements that write run in a transaction that is rolled back. */
  writes?: boolean;
  /** Timed on the pool, as the route calls it (its independent reads may overlap). */
  onPool?: boolean;
}

async function main(): Promise<void> {
  const { values, positionals } = parseCli(USAGE, {
    reviews: { type: "string" },
    decided: { type: "string" },
    runs: { type: "string" },
    explain: { type: "boolean" },
  });
  if (positionals.length > 0) throw new BenchError(`unexpected argument "${positionals[0]}"`);
  const count = (name: string, value: string | undefined, fallback: number, min: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new BenchError(`--${name} must be ≥ ${min}`);
    return n;
  };
  const reviews = count("reviews", values.reviews, 1_000_000, 100);
  const decided = count("decided", values.decided, 100_000, 0);
  const runs = count("runs", values.runs, 50, 1);
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    throw new BenchError(
      `DATABASE_URL is required: the Postgres server to create a scratch database on, e.g.\n` +
        `  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:queue\n\n${USAGE}`,
    );
  }

  const name = `signoff_queue_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  log(`scratch database ${name}`);
  let db: Database | undefined;
  try {
    db = await openDatabase({ url: url.toString(), poolSize: 4 });
    await migrate(db.pool);
    const now = new Date();
    await load(db.pool, reviews, decided, now);
    await measure(db.pool, now, runs, values.explain ?? false, reviews, decided);
  } finally {
    await db?.close();
    const dropper = new pg.Client({ connectionString: baseUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
    log(`dropped ${name}`);
  }
}

/**
 * Pending reviews spread like a real queue: 60 % retrieval / 40 % answer; risk low 50 %, medium
 * 35 %, high 15 % with the policy's priorities (100/200/300 + up to 50); 3 % escalated (+1000,
 * escalation queue); 0.5 % claimed live by one of 50 reviewers and 0.2 % with an expired claim;
 * created over the last 30 days; about 0.02 % past their due time and 0.02 % past their fallback.
 * Each has its own thread. Decided reviews (for the metrics' histograms and counters) likewise.
 */
async function load(pool: pg.Pool, pending: number, decided: number, now: Date): Promise<void> {
  const chunk = 100_000;
  const started = Date.now();
  const total = pending + decided;
  for (let lo = 1; lo <= total; lo += chunk) {
    const hi = Math.min(total, lo + chunk - 1);
    await pool.query(
      `INSERT INTO threads (thread_id, question, status, risk_tier, provenance, created_at, updated_at, completed_at)
       SELECT md5('thread' || i)::uuid, 'bench question ' || i,
         CASE WHEN i <= $3 THEN 'awaiting_review' ELSE 'completed' END,
         (ARRAY['low', 'medium', 'high'])[1 + (i % 3)],
         CASE WHEN i <= $3 THEN NULL ELSE (ARRAY['approved', 'edited', 'human', 'fallback'])[1 + (i % 4)] END,
         $4::timestamptz - make_interval(secs => (i % 2592000)), $4::timestamptz,
         CASE WHEN i <= $3 THEN NULL ELSE $4::timestamptz END
       FROM generate_series($1::int, $2::int) i`,
      [lo, hi, pending, now],
    );
    await pool.query(
      `INSERT INTO reviews (review_id, thread_id, interrupt_id, stage, status, priority, risk_tier, reason,
         trigger, interrupt, created_at, claimed_by, claim_expires_at, first_claimed_at, due_at,
         fallback_at, escalated_at, queue, decision, decision_type, decided_by, decided_at)
       SELECT md5('review' || i)::uuid, md5('thread' || i)::uuid, 'bench-' || i,
         CASE WHEN d < 0.6 THEN 'retrieval' ELSE 'answer' END,
         CASE WHEN pending THEN 'pending' ELSE 'decided' END,
         CASE WHEN b < 0.5 THEN 100 WHEN b < 0.85 THEN 200 ELSE 300 END + floor(c * 51)::int
           + CASE WHEN escalated THEN 1000 ELSE 0 END,
         CASE WHEN b < 0.5 THEN 'low' WHEN b < 0.85 THEN 'medium' ELSE 'high' END,
         'bench reason',
         '{"kind": "bench", "score": 0.4, "threshold": 0.5}'::jsonb,
         jsonb_build_object('action_request', jsonb_build_object('action', 'review',
           'args', jsonb_build_object('question', 'bench question ' || i)),
           'config', '{}'::jsonb, 'description', 'bench',
           'card', jsonb_build_object('stage', CASE WHEN d < 0.6 THEN 'retrieval' ELSE 'answer' END,
             'reasons', '["bench reason"]'::jsonb, 'question', 'bench question ' || i)),
         created,
         CASE WHEN pending AND f < 0.007 THEN 'reviewer-' || floor(g * 50)::int END,
         CASE WHEN pending AND f < 0.005 THEN $3::timestamptz + interval '5 minutes'
              WHEN pending AND f < 0.007 THEN $3::timestamptz - interval '1 minute' END,
         CASE WHEN pending AND f < 0.007 THEN $3::timestamptz - interval '10 minutes'
              WHEN NOT pending AND f < 0.9 THEN created + make_interval(secs => 60 + g * 3000) END,
         CASE WHEN escalated OR h < 0.0002 THEN created + interval '1 hour' ELSE created + interval '31 days' END,
         CASE WHEN h > 0.9998 THEN $3::timestamptz - interval '1 minute' ELSE created + interval '60 days' END,
         CASE WHEN escalated THEN created + interval '1 hour' END,
         CASE WHEN escalated THEN 'escalation' ELSE 'main' END,
         CASE WHEN NOT pending THEN '{"type": "approve"}'::jsonb END,
         CASE WHEN NOT pending THEN (ARRAY['approve', 'edit', 'respond', 'reject'])[1 + floor(g * 4)::int] END,
         CASE WHEN NOT pending THEN CASE WHEN h < 0.05 THEN 'system:sla' ELSE 'reviewer-' || floor(g * 50)::int END END,
         CASE WHEN NOT pending THEN created + make_interval(secs => 3600 + g * 80000) END
       FROM (
         SELECT i, i <= $4 AS pending, random() AS b, random() AS c, random() AS d, random() < 0.03 AS escalated,
           random() AS f, random() AS g, random() AS h,
           $3::timestamptz - make_interval(secs => random() * 30 * 86400) AS created
         FROM generate_series($1::int, $2::int) i
       ) x`,
      [lo, hi, now, pending],
    );
    log(
      `loaded ${hi.toLocaleString("en")} / ${total.toLocaleString("en")} reviews (${s(started)})`,
    );
  }
  await pool.query(
    `INSERT INTO runs (thread_id, kind, status, created_at)
     SELECT md5('thread' || i)::uuid, 'start', CASE WHEN i % 4 = 0 THEN 'running' ELSE 'queued' END, $1
     FROM generate_series(1, 40) i`,
    [now],
  );
  await pool.query(
    `INSERT INTO outbox (event_type, payload, delivered_at, failed_at)
     SELECT 'review.created', '{}'::jsonb, CASE WHEN i % 10 > 1 THEN $1::timestamptz END,
       CASE WHEN i % 10 = 1 THEN $1::timestamptz END
     FROM generate_series(1, 1000) i`,
    [now],
  );
  log(`VACUUM ANALYZE (${s(started)})`);
  await pool.query("VACUUM ANALYZE");
  log(`loaded in ${s(started)}`);
}

function s(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** The cursor a client would hold after walking the filter's queue to `position` (0-based). */
async function cursorAt(
  pool: pg.Pool,
  where: string,
  params: unknown[],
  position: number,
): Promise<QueueCursor> {
  const { rows } = await pool.query<ReviewRow & { created_at_exact: string }>(
    `SELECT review_id, priority, created_at::text AS created_at_exact FROM reviews WHERE ${where}
     ORDER BY priority DESC, created_at, review_id OFFSET $${params.length + 1} LIMIT 1`,
    [...params, position],
  );
  if (!rows[0]) throw new BenchError(`no row at position ${position} for ${where}`);
  // Through the API's own encoding, as a client would send it back.
  const cursor = decodeCursor(encodeCursor(rows[0]));
  if (!cursor) throw new BenchError("the cursor did not round-trip");
  return cursor;
}

async function measure(
  pool: pg.Pool,
  now: Date,
  runs: number,
  explain: boolean,
  pending: number,
  decided: number,
): Promise<void> {
  const deps = (db: Queryable) => ({ pool: db as pg.Pool, now: () => now });
  const list =
    (filter: Omit<ListFilter, "limit">) =>
    (db: Queryable): Promise<unknown> =>
      listReviews(deps(db), { limit: PAGE, ...filter });

  log("computing deep-page cursors");
  const deep = Math.floor(pending * 0.9);
  const deepCursor = await cursorAt(pool, "status = 'pending'", [], deep);
  const answers = Number(
    (
      await pool.query(
        "SELECT count(*) AS n FROM reviews WHERE status = 'pending' AND stage = 'answer'",
      )
    ).rows[0].n,
  );
  const deepAnswer = await cursorAt(
    pool,
    "status = 'pending' AND stage = 'answer'",
    [],
    Math.floor(answers * 0.9),
  );
  const lows = Number(
    (
      await pool.query(
        "SELECT count(*) AS n FROM reviews WHERE status = 'pending' AND risk_tier = 'low'",
      )
    ).rows[0].n,
  );
  const deepLow = await cursorAt(
    pool,
    "status = 'pending' AND risk_tier = 'low'",
    [],
    Math.floor(lows * 0.9),
  );
  const allRows = pending + decided;
  const deepAll = await cursorAt(pool, "true", [], Math.floor(allRows * 0.9));

  // The deep page must be exactly the rows after the cursor's position.
  const expected = await pool.query<{ review_id: string }>(
    `SELECT review_id FROM reviews WHERE status = 'pending'
     ORDER BY priority DESC, created_at, review_id OFFSET $1 LIMIT ${PAGE}`,
    [deep + 1],
  );
  const got = await listReviews(deps(pool), { status: "pending", limit: PAGE, cursor: deepCursor });
  if (got.items.map((i) => i.review_id).join() !== expected.rows.map((r) => r.review_id).join()) {
    throw new BenchError("the deep page does not match OFFSET: pagination is broken");
  }

  const pendingOnly = { status: "pending" as const };
  const cases: Case[] = [
    { name: "pending, first page", run: list(pendingOnly) },
    { name: "pending, stage=retrieval", run: list({ ...pendingOnly, stage: "retrieval" }) },
    { name: "pending, stage=answer", run: list({ ...pendingOnly, stage: "answer" }) },
    { name: "pending, risk_tier=high", run: list({ ...pendingOnly, risk_tier: "high" }) },
    { name: "pending, risk_tier=medium", run: list({ ...pendingOnly, risk_tier: "medium" }) },
    { name: "pending, risk_tier=low", run: list({ ...pendingOnly, risk_tier: "low" }) },
    { name: "pending, queue=main", run: list({ ...pendingOnly, queue: "main" }) },
    { name: "pending, queue=escalation", run: list({ ...pendingOnly, queue: "escalation" }) },
    { name: `pending, assignee=me (${ME})`, run: list({ ...pendingOnly, assignee: ME }) },
    { name: `pending, assignee=${SOMEONE}`, run: list({ ...pendingOnly, assignee: SOMEONE }) },
    { name: "pending, assignee=none", run: list({ ...pendingOnly, assignee: "none" }) },
    // The bench's cards give two reason keys (migration 0017): 60 % retrieval, 40 % answer.
    {
      name: "pending, reason_key=risk:unknown",
      run: list({ ...pendingOnly, reason_key: "risk:unknown" }),
    },
    { name: "/reviews/reasons (listReasons)", run: (db) => pendingReasonGroups(db) },
    { name: "pending, older_than=1 day", run: list({ ...pendingOnly, older_than: 86_400 }) },
    {
      name: "pending, older_than=29.9 days",
      run: list({ ...pendingOnly, older_than: Math.round(29.9 * 86_400) }),
    },
    {
      name: "pending, low+answer+main+none",
      run: list({
        ...pendingOnly,
        risk_tier: "low",
        stage: "answer",
        queue: "main",
        assignee: "none",
      }),
    },
    {
      name: `pending, page at ${deep.toLocaleString("en")}`,
      run: list({ ...pendingOnly, cursor: deepCursor }),
    },
    {
      name: "pending, stage=answer, page at 90 %",
      run: list({ ...pendingOnly, stage: "answer", cursor: deepAnswer }),
    },
    {
      name: "pending, risk_tier=low, page at 90 %",
      run: list({ ...pendingOnly, risk_tier: "low", cursor: deepLow }),
    },
    { name: "any status, first page", run: list({}) },
    { name: "any status, risk_tier=low", run: list({ risk_tier: "low" }) },
    { name: "any status, page at 90 %", run: list({ cursor: deepAll }) },
    { name: "/metrics (renderMetrics)", run: (db) => renderMetrics(db), onPool: true },
    { name: "sweeper: expireClaims", run: (db) => expireClaims(db, now), writes: true },
    { name: "sweeper: overdue due_at", run: (db) => overdueReviews(db, now, "due_at") },
    { name: "sweeper: overdue fallback_at", run: (db) => overdueReviews(db, now, "fallback_at") },
  ];

  const client = await pool.connect();
  const results: { name: string; n: number; p50: number; p99: number; plan: string }[] = [];
  try {
    for (const c of cases) {
      const times: number[] = [];
      const started = Date.now();
      for (let i = 0; i < runs + 3; i++) {
        if (c.writes) await client.query("BEGIN");
        const t0 = process.hrtime.bigint();
        await c.run(c.onPool ? pool : client);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (c.writes) await client.query("ROLLBACK");
        if (i >= 3) times.push(ms);
        if (times.length >= 5 && Date.now() - started > QUERY_BUDGET_MS) break;
      }
      times.sort((a, b) => a - b);
      const pct = (p: number) =>
        times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
      const plans = await plansOf(client, c);
      results.push({
        name: c.name,
        n: times.length,
        p50: pct(0.5),
        p99: pct(0.99),
        plan: plans.map(summarize).join(" | "),
      });
      log(
        `${c.name}: p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms (${times.length} runs)`,
      );
      if (explain) log(plans.map((p) => p.join("\n")).join("\n--\n"));
    }
  } finally {
    client.release();
  }

  const load1 = os.loadavg()[0]!.toFixed(2);
  console.log(
    `signoff queue bench: ${pending.toLocaleString("en")} pending + ${decided.toLocaleString("en")} decided reviews, ` +
      `page ${PAGE}, ${runs} runs each; ${os.cpus().length} cores, load ${load1}, ` +
      `${(await pool.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version}`,
  );
  const width = Math.max(...results.map((r) => r.name.length));
  console.log(
    `${"query".padEnd(width)}  ${"p50 ms".padStart(8)}  ${"p99 ms".padStart(8)}  runs  plan`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(width)}  ${r.p50.toFixed(1).padStart(8)}  ${r.p99.toFixed(1).padStart(8)}  ${String(r.n).padStart(4)}  ${r.plan}`,
    );
  }
}

/** EXPLAIN ANALYZE of every statement the case sends, in a transaction rolled back. */
async function plansOf(client: pg.PoolClient, c: Case): Promise<string[][]> {
  const statements: { text: string; values?: unknown[] }[] = [];
  const recorder = {
    query: (text: string, values?: unknown[]) => {
      statements.push({ text, values });
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
  } as unknown as Queryable;
  await c.run(recorder).catch(() => undefined);
  const plans: string[][] = [];
  await client.query("BEGIN");
  try {
    for (const st of statements) {
      const { rows } = await client.query<{ "QUERY PLAN": string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${st.text}`,
        st.values,
      );
      plans.push(rows.map((r) => r["QUERY PLAN"]));
    }
  } finally {
    await client.query("ROLLBACK");
  }
  return plans;
}

/** The scans of a plan: "Index Scan reviews_x_idx", "Seq Scan reviews", …, and its time. */
function summarize(plan: string[]): string {
  const scans = new Set<string>();
  for (const line of plan) {
    const m =
      /(Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)?(?: using (\w+))? on (\w+)/.exec(
        line,
      );
    if (m) scans.add(m[1] === "Seq Scan" ? `SEQ ${m[3]}` : (m[2] ?? m[3]!));
    if (/Sort Method/.test(line)) scans.add("sort");
  }
  const time = plan.find((l) => l.startsWith("Execution Time"))?.replace(/Execution Time: /, "");
  return `${[...scans].join(", ")}${time ? ` (${time})` : ""}`;
}

main().catch((error: unknown) => {
  if (error instanceof BenchError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
