/**
 * The database-outage drill: the real server (`src/server.ts`, a child process) on a scratch
 * Postgres database, under load, while every one of its database connections is killed with
 * pg_terminate_backend() several times. Clients behave as documented: they retry 503s and
 * network errors, with an Idempotency-Key on every create.
 *
 *   npm run drill -- [--url URL] [--threads N] [--kills N] [--concurrency N]
 *
 * It prints requests by status, threads accepted vs settled, decisions vs the feedback rows they
 * wrote, and exits non-zero on any 5xx other than 503, a lost or doubled decision or thread, a
 * thread that never settles, or a server process that died. Progress goes to stderr.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import pg from "pg";
import { parseCli } from "../src/cli/args.js";
import { parseEnv } from "../src/env.js";

const USAGE = `Usage: npm run drill -- [options]

Starts signoff (src/server.ts) on a scratch database on a Postgres server, puts it under load
(threads that finish alone, pause for retrieval review and for answer review; decisions;
feedback) and kills every server connection of that database several times while threads and
decisions are in flight. Exits 1 on any 500, any lost or doubled thread or decision, a thread that
never settles, or a dead server process. The scratch database is dropped afterwards.

Options:
  --url URL          the Postgres server (default: TEST_DATABASE_URL, else DATABASE_URL, else
                     postgres://postgres@127.0.0.1:5432/postgres)
  --threads N        threads to start (default 60)
  --kills N          times every connection is killed (default 3)
  --concurrency N    client requests in flight (default 8)
  --timeout S        give up on settling after S seconds (default 120)
  -h, --help         show this help`;

const QUESTIONS = [
  "How many days do I have to return unused items?", // finishes on its own
  "What is the maximum daily dose of paracetamol for adults?", // answer review (high risk)
  "What is the capital of Mongolia?", // retrieval review
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (line: string) => process.stderr.write(`drill: ${line}\n`);

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new DrillError(`--${name} must be a whole number ≥ 1`);
  return n;
}

class DrillError extends Error {}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Counts every answer the clients got, by status (or "network" when the request failed). */
class Tally {
  readonly byStatus = new Map<string, number>();
  readonly unexpected: string[] = [];
  add(key: string): void {
    this.byStatus.set(key, (this.byStatus.get(key) ?? 0) + 1);
  }
}

interface Reply {
  status: number;
  body: any;
}

/** A client that retries while the database is away (503) or the connection failed. */
function client(
  base: string,
  tally: Tally,
  deadline: () => number,
  died: () => string | undefined,
) {
  return async function call(method: string, path: string, body?: unknown, headers = {}) {
    for (let attempt = 0; ; attempt++) {
      let reply: Reply | undefined;
      try {
        const res = await fetch(base + path, {
          method,
          headers: { "content-type": "application/json", ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        reply = { status: res.status, body: text ? JSON.parse(text) : undefined };
        tally.add(String(res.status));
      } catch {
        tally.add("network");
      }
      if (reply && reply.status >= 500 && reply.status !== 503) {
        tally.unexpected.push(`${method} ${path} → ${reply.status} ${JSON.stringify(reply.body)}`);
      }
      if (reply && reply.status !== 503) return reply;
      const death = died();
      if (death) throw new DrillError(`FAILED: the server process died (${death})`);
      if (Date.now() > deadline()) throw new DrillError(`${method} ${path}: gave up retrying`);
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 4)));
    }
  };
}

/** Runs `work` over `items`, `limit` at a time. */
async function pooled<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function main(): Promise<number> {
  const { values } = parseCli(USAGE, {
    url: { type: "string" },
    threads: { type: "string" },
    kills: { type: "string" },
    concurrency: { type: "string" },
    timeout: { type: "string" },
  });
  const env = parseEnv(process.env);
  const baseUrl =
    values.url ??
    env.TEST_DATABASE_URL ??
    env.DATABASE_URL ??
    "postgres://postgres@127.0.0.1:5432/postgres";
  const threads = positiveInt("threads", values.threads, 60);
  const kills = positiveInt("kills", values.kills, 3);
  const concurrency = positiveInt("concurrency", values.concurrency, 8);
  const timeoutMs = positiveInt("timeout", values.timeout, 120) * 1000;

  const admin = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new DrillError(`cannot reach ${new URL(baseUrl).host}: ${(error as Error).message}`);
  }
  const dbName = `signoff_drill_${randomBytes(6).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(baseUrl);
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let serverLog = "";
  let exited: string | undefined;
  try {
    progress(`scratch database ${dbName} on ${dbUrl.host}; server on ${base}`);
    server = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      env: {
        ...process.env,
        DATABASE_URL: dbUrl.toString(),
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        RUN_LEASE_SECONDS: "5",
        WEBHOOK_URL: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout!.on("data", (d: Buffer) => (serverLog += d.toString()));
    server.stderr!.on("data", (d: Buffer) => (serverLog += d.toString()));
    server.on("exit", (code, signal) => (exited = `exit code ${code}, signal ${signal}`));

    const startBy = Date.now() + 60_000;
    while (
      !(await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (exited) throw new DrillError(`the server exited at start (${exited}):\n${serverLog}`);
      if (Date.now() > startBy) throw new DrillError(`the server did not get ready:\n${serverLog}`);
      await sleep(200);
    }

    const tally = new Tally();
    const deadline = Date.now() + timeoutMs;
    const call = client(
      base,
      tally,
      () => deadline,
      () => exited && `${exited}; its last words:\n${serverLog.slice(-1500)}`,
    );
    const phase = { name: "starting threads" };

    // The killer: every connection of the scratch database, `kills` times, ~1 s apart.
    const killLog: string[] = [];
    const killer = (async () => {
      await sleep(400);
      for (let i = 1; i <= kills; i++) {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
           WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [dbName],
        );
        killLog.push(`kill ${i}: ${rows[0]!.n} connections, while ${phase.name}`);
        progress(killLog.at(-1)!);
        await sleep(900 + Math.random() * 400);
      }
    })();

    // 1. Threads, each with an Idempotency-Key so a retry after a lost answer is not a second one.
    const accepted = new Set<string>();
    await pooled(
      Array.from({ length: threads }, (_, i) => i),
      concurrency,
      async (i) => {
        const res = await call(
          "POST",
          "/threads",
          { question: QUESTIONS[i % QUESTIONS.length], metadata: { drill: i } },
          { "idempotency-key": `drill-${i}` },
        );
        if (res.status === 200 || res.status === 202) accepted.add(res.body.thread_id as string);
        else tally.unexpected.push(`POST /threads → ${res.status} ${JSON.stringify(res.body)}`);
      },
    );
    progress(`${accepted.size} of ${threads} threads accepted`);

    // 2. Decide every review as threads pause; a 409 after a retried (503) attempt is our own
    // earlier decision; a 409 on a first attempt would be a double.
    phase.name = "deciding reviews";
    let decisions = 0;
    const decided = new Set<string>();
    const settled = new Set<string>();
    while (settled.size < accepted.size && Date.now() < deadline) {
      const open = [...accepted].filter((id) => !settled.has(id));
      await pooled(open, concurrency, async (threadId) => {
        const view = await call("GET", `/threads/${threadId}`);
        if (view.body?.status === "completed") {
          settled.add(threadId);
          return;
        }
        if (view.body?.status === "failed") {
          tally.unexpected.push(`thread ${threadId} failed: ${view.body.error}`);
          settled.add(threadId);
          return;
        }
        for (const review of view.body?.reviews ?? []) {
          if (review.status !== "pending" || decided.has(review.review_id)) continue;
          const decision =
            review.stage === "retrieval"
              ? { type: "respond", answer: "Ulaanbaatar is the capital of Mongolia." }
              : { type: "approve" };
          const res = await call("POST", `/reviews/${review.review_id}/decision`, decision);
          if (res.status === 200 || res.status === 409) {
            decided.add(review.review_id);
            decisions++;
          } else {
            tally.unexpected.push(`decision ${review.review_id} → ${res.status}`);
          }
        }
      });
      if (settled.size < accepted.size) await sleep(300);
    }

    // 3. Feedback on every finished thread, once each.
    phase.name = "sending feedback";
    let feedbackAccepted = 0;
    await pooled([...settled], concurrency, async (threadId) => {
      const res = await call(
        "POST",
        `/threads/${threadId}/feedback`,
        { rating: 4, reasons: [] },
        { "idempotency-key": `drill-feedback-${threadId}` },
      );
      if (res.status === 200 || res.status === 201) feedbackAccepted++;
    });
    phase.name = "checking";
    await killer;

    // 4. What the database says, and whether the server lived.
    const scratch = new pg.Client({ connectionString: dbUrl.toString() });
    await scratch.connect();
    const q = async (sql: string) => (await scratch.query<{ n: number }>(sql)).rows[0]!.n;
    const facts = {
      threadRows: await q("SELECT count(*)::int AS n FROM threads"),
      completed: await q("SELECT count(*)::int AS n FROM threads WHERE status = 'completed'"),
      reviews: await q("SELECT count(*)::int AS n FROM reviews"),
      decidedReviews: await q("SELECT count(*)::int AS n FROM reviews WHERE status = 'decided'"),
      decisionRows: await q(
        "SELECT count(*)::int AS n FROM feedback WHERE source = 'review' AND review_id IS NOT NULL",
      ),
      reviewsWithOneDecision: await q(
        `SELECT count(*)::int AS n FROM (SELECT review_id FROM feedback WHERE review_id IS NOT NULL
         GROUP BY review_id HAVING count(*) = 1) x`,
      ),
      userFeedbackRows: await q("SELECT count(*)::int AS n FROM feedback WHERE source = 'user'"),
      failedRuns: await q("SELECT count(*)::int AS n FROM runs WHERE status = 'failed'"),
    };
    await scratch.end();
    const alive =
      !exited &&
      (await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
    const lostConnections = (serverLog.match(/database connection lost/g) ?? []).length;

    const problems: string[] = [...tally.unexpected];
    if (!alive) problems.push(`the server process died (${exited ?? "not answering"})`);
    if (accepted.size !== threads) problems.push(`${threads - accepted.size} threads not accepted`);
    if (facts.threadRows !== accepted.size) {
      problems.push(`${facts.threadRows} thread rows for ${accepted.size} accepted threads`);
    }
    if (facts.completed !== accepted.size) {
      problems.push(`${accepted.size - facts.completed} threads never completed`);
    }
    if (facts.decidedReviews !== decided.size) {
      problems.push(`${facts.decidedReviews} reviews decided for ${decided.size} decisions sent`);
    }
    if (facts.decisionRows !== facts.decidedReviews) {
      problems.push(`${facts.decisionRows} decision rows for ${facts.decidedReviews} decisions`);
    }
    if (facts.reviewsWithOneDecision !== facts.decidedReviews) {
      problems.push("a review has more than one decision row");
    }
    if (facts.userFeedbackRows !== feedbackAccepted) {
      problems.push(`${facts.userFeedbackRows} feedback rows for ${feedbackAccepted} accepted`);
    }
    if (facts.failedRuns > 0) problems.push(`${facts.failedRuns} runs failed for good`);

    const statuses = [...tally.byStatus.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status}: ${n}`)
      .join(", ");
    console.log(
      [
        `signoff database-outage drill: ${threads} threads, ${kills} kills, concurrency ${concurrency}`,
        ...killLog.map((line) => `  ${line}`),
        `requests by status   ${statuses}`,
        `threads              ${accepted.size} accepted, ${facts.threadRows} stored, ${facts.completed} completed`,
        `reviews              ${facts.reviews} raised, ${facts.decidedReviews} decided`,
        `decisions            ${decisions} sent and accepted, ${facts.decisionRows} decision rows (${facts.reviewsWithOneDecision} reviews with exactly one)`,
        `feedback             ${feedbackAccepted} accepted, ${facts.userFeedbackRows} rows`,
        `runs failed for good ${facts.failedRuns}`,
        `server               ${alive ? "alive" : "DEAD"}; logged ${lostConnections} lost database connections`,
        problems.length ? `FAILED:\n${problems.map((p) => `  - ${p}`).join("\n")}` : "PASSED",
      ].join("\n"),
    );
    return problems.length ? 1 : 0;
  } finally {
    server?.kill("SIGTERM");
    await sleep(300);
    server?.kill("SIGKILL");
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof DrillError ? `drill: ${error.message}` : error);
    process.exit(1);
  },
);
