/**
 * Throughput and latency of the full human-in-the-loop round trip:
 * create a thread → it pauses for an answer review → approve → it completes.
 *
 *   tsx bench/bench.ts [--threads N] [--concurrency C] [--targets embedded,postgres,memory,split]
 *                      [--workers 1,2,4] [--json FILE]
 *
 * Targets:
 * - embedded: the service as `npm start` runs it without DATABASE_URL: PGlite persisted in a temp
 *   DATA_DIR, the in-process worker, the API served over real HTTP on 127.0.0.1 (port 0).
 * - postgres: the same against a scratch database on DATABASE_URL's server, dropped afterwards.
 * - memory: the compiled graph in process on LangGraph's MemorySaver (no HTTP, no run queue, no
 *   app tables): the reference without persistence. Retrieval still reads the knowledge base from
 *   an in-memory PGlite.
 * - split: the postgres target in split mode: the API with WORKERS_IN_PROCESS=false and N
 *   `npm run worker` processes over the same scratch database, once per N in --workers.
 *
 * Progress goes to stderr, the results table to stdout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { serve, type ServerType } from "@hono/node-server";
import { Command, INTERRUPT, isInterrupted, MemorySaver } from "@langchain/langgraph";
import pg from "pg";
import { pino } from "pino";
import { createAppFor } from "../src/api/app.js";
import { parseCli } from "../src/cli/args.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { EnvError, readEnv, type Env } from "../src/env.js";
import { defaultPolicy } from "../src/graph/default-policy.js";
import { compileGraph } from "../src/graph/graph.js";
import { seedSampleKnowledgeBase } from "../src/knowledge/seed.js";
import type { Logger } from "../src/logger.js";
import { createOfflineProviders } from "../src/providers/offline/index.js";
import { LISTENER_APPLICATION_NAME } from "../src/db/notifications.js";
import { createRuntime, settingsFromEnv, type Runtime } from "../src/runtime.js";

const TARGETS = ["embedded", "postgres", "memory", "split"] as const;
type Target = (typeof TARGETS)[number];

/**
 * High-risk questions: the guard sends every one of them to an answer review. (Not "…domestic
 * wire transfers?": the policy keyword "wire transfer" does not match the plural, so that
 * question is low risk and completes without a review.)
 */
const QUESTIONS = [
  "What is the maximum daily dose of paracetamol for adults?",
  "How much is the overdraft fee?",
  "Who should avoid taking ibuprofen?",
  "How much does an international wire transfer cost?",
];

/** Seconds each `?wait=` call may block server-side (the API allows up to 60). */
const WAIT_SECONDS = 30;
/** A thread that has not reached the next state within this long fails the run. */
const PHASE_BUDGET_MS = 120_000;

const USAGE = `Usage: tsx bench/bench.ts [options]

Drives threads through create → pause for answer review → approve → completed and reports
throughput, per-phase latency and SQL statements per thread.

Options:
  --threads N              measured threads per target (default 200)
  --concurrency C          virtual clients running at once (default 8)
  --targets LIST           comma-separated: embedded, postgres, memory, split
                           (default: embedded,memory, plus postgres when DATABASE_URL is set)
  --workers LIST           worker processes for the split target, comma-separated (default 2);
                           the split target runs once per number
  --warmup N               unmeasured threads per target before measuring (default 10)
  --json FILE              also write the results as JSON to FILE (includes the top statements)
  --sql-breakdown          print each target's most frequent SQL statements per thread to stderr
  --allow-remote-database  let the postgres target use a DATABASE_URL that is not on this machine
  -h, --help               show this help

Targets:
  embedded  PGlite persisted in a temp DATA_DIR (as \`npm start\` without DATABASE_URL), in-process
            worker, API over HTTP on 127.0.0.1
  postgres  the same on a scratch database signoff_bench_<random> created on DATABASE_URL's server
            and dropped afterwards
  split     the postgres target in split mode: the API with WORKERS_IN_PROCESS=false, and N
            \`npm run worker\` processes (each WORKER_CONCURRENCY) over the same scratch database
  memory    the graph in process on LangGraph's MemorySaver: no HTTP, queue or app tables (the
            no-persistence reference); knowledge-base retrieval uses an in-memory PGlite

The service runs with the offline providers, the built-in guard and review policies and no
webhooks; other settings (WORKER_CONCURRENCY, DATABASE_POOL_SIZE, thresholds…) come from the
environment as usual.`;

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  threads: number;
  concurrency: number;
  warmup: number;
  targets: Target[];
  /** Worker processes of the split target, one run per entry. */
  workers: number[];
  json?: string;
  sqlBreakdown: boolean;
  allowRemoteDatabase: boolean;
}

class BenchError extends Error {}

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new BenchError(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function parseOptions(env: Env): Options {
  const { values, positionals } = parseCli(USAGE, {
    threads: { type: "string" },
    concurrency: { type: "string" },
    targets: { type: "string" },
    workers: { type: "string" },
    warmup: { type: "string" },
    json: { type: "string" },
    "sql-breakdown": { type: "boolean" },
    "allow-remote-database": { type: "boolean" },
  });
  if (positionals.length > 0)
    throw new BenchError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  let targets: Target[];
  if (values.targets === undefined) {
    targets = env.DATABASE_URL ? ["embedded", "postgres", "memory"] : ["embedded", "memory"];
  } else {
    const names = values.targets
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const unknown = names.filter((t) => !(TARGETS as readonly string[]).includes(t));
    if (unknown.length > 0 || names.length === 0) {
      throw new BenchError(
        `--targets: unknown target "${unknown.join(",")}"; choose from ${TARGETS.join(", ")}`,
      );
    }
    targets = [...new Set(names)] as Target[];
  }
  if ((targets.includes("postgres") || targets.includes("split")) && !env.DATABASE_URL) {
    throw new BenchError(
      "the postgres and split targets need DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)",
    );
  }
  const workers = (values.workers ?? "2")
    .split(",")
    .map((w) => positiveInt("workers", w.trim(), 2));
  return {
    threads: positiveInt("threads", values.threads, 200),
    concurrency: positiveInt("concurrency", values.concurrency, 8),
    warmup: positiveInt("warmup", values.warmup, 10, 0),
    targets,
    workers: [...new Set(workers)],
    json: values.json,
    sqlBreakdown: values["sql-breakdown"] ?? false,
    allowRemoteDatabase: values["allow-remote-database"] ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// SQL statement counting

/**
 * Counts statements sent through a pg pool. pool.query() borrows a client and calls its query(),
 * so counting at the client level (every client, via the pool's "connect" event) counts each
 * statement once; the pool.query() count only says how many of those were one-shot queries.
 * Attach before the pool opens its first connection.
 */
class SqlCounter {
  statements = 0;
  viaPoolQuery = 0;
  /** Statements by their text (whitespace collapsed, cut at 100 characters). */
  readonly byText = new Map<string, number>();

  attach(pool: pg.Pool): void {
    pool.on("connect", (client) => {
      const original = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        this.count(args[0]);
        return original(...args);
      }) as typeof client.query;
    });
    const poolQuery = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    pool.query = ((...args: unknown[]) => {
      this.viaPoolQuery++;
      return poolQuery(...args);
    }) as typeof pool.query;
  }

  private count(query: unknown): void {
    this.statements++;
    const text = typeof query === "string" ? query : (query as { text?: unknown } | null)?.text;
    const key =
      typeof text === "string" ? text.replace(/\s+/g, " ").trim().slice(0, 100) : "(other)";
    this.byText.set(key, (this.byText.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.statements = 0;
    this.viaPoolQuery = 0;
    this.byText.clear();
  }

  /** The most frequent statements, per thread. */
  top(n: number, threads: number): { statement: string; per_thread: number }[] {
    return [...this.byText.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([statement, count]) => ({
        statement,
        per_thread: Math.round((count / threads) * 100) / 100,
      }));
  }
}

// ---------------------------------------------------------------------------------------------
// Targets

interface ThreadTiming {
  /** Create until the thread paused for review. */
  createMs: number;
  /** Decision until the thread completed. */
  decideMs: number;
  /** Whole round trip, as the client saw it. */
  totalMs: number;
}

interface Driver {
  /** How this target stores and serves, for the output. */
  description: string;
  sql: SqlCounter;
  runThread(question: string, abort: AbortSignal): Promise<ThreadTiming>;
  /**
   * Postgres targets: transactions committed in the scratch database as Postgres counts them
   * (`pg_stat_database.xact_commit`, every process's, read from another database).
   */
  commits?: () => Promise<number>;
  /** Database targets: the bytes each table takes on disk (see `tableBytes`). */
  storedBytes?: () => Promise<Map<string, number>>;
  /** Stops the service (and its worker processes) but keeps the database, so it can be read. */
  stop(): Promise<void>;
  /** Stops, and removes what the target created. */
  close(): Promise<void>;
}

function benchLogger(): Logger {
  // The service logs JSON to stdout; the bench keeps stdout for the table and shows problems only.
  return pino({ level: "warn", base: { service: "signoff-bench" } }, pino.destination(2));
}

/**
 * The environment every service target runs with: offline providers, the built-in guard and review
 * policies (one approval closes a review), the sample KB, and no webhooks (nothing leaves 127.0.0.1).
 */
function serviceEnv(base: Env, overrides: Partial<Env>): Env {
  return {
    ...base,
    MODEL_PROVIDER: "offline",
    POLICY_FILE: undefined,
    REVIEW_POLICY_FILE: undefined,
    WEBHOOK_URL: undefined,
    WEBHOOK_SECRET: undefined,
    SEED_SAMPLE_KB: true,
    LOG_LEVEL: "warn",
    ...overrides,
  };
}

interface ThreadView {
  thread_id: string;
  status: string;
  answer: string | null;
  error: string | null;
  reviews: { review_id: string; stage: string; status: string }[];
}

/** The service over HTTP on `database`, and what it takes to stop it and clean up after it. */
interface HttpService {
  env: Env;
  database: Database;
  sql: SqlCounter;
  description: string;
  /** Stops what the service stands on (the database's pool); the data stays. */
  stopDatabase: () => Promise<void>;
  /** Removes what the target created (a scratch database, a temp directory). */
  cleanup: () => Promise<void>;
  /** In-process workers (default), or none: the split target's workers are processes. */
  inProcessWorkers?: boolean;
  /** Processes to start once the API is up (and has migrated), stopped before the database. */
  companions?: (database: Database) => Promise<{ description: string; stop: () => Promise<void> }>;
  commits?: () => Promise<number>;
}

/** The running service over HTTP: one runtime (API, and workers unless split) on `database`. */
async function startHttpService(service: HttpService): Promise<Driver> {
  const { env, database, sql } = service;
  const logger = benchLogger();
  const inProcess = service.inProcessWorkers ?? true;
  let runtime: Runtime | undefined;
  let server: ServerType | undefined;
  let companions: { description: string; stop: () => Promise<void> } | undefined;
  try {
    runtime = await createRuntime({ env, logger, database, startWorker: inProcess });
    const app = createAppFor(runtime);
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
        resolve(info.port),
      );
      server.once("error", reject);
    });
    companions = await service.companions?.(database);
    const baseUrl = `http://127.0.0.1:${port}`;
    const started = runtime;
    const listening = server!;
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopped ??= (async () => {
        // Requests still long-polling (after an error or Ctrl-C) would only log "pool ended".
        logger.level = "silent";
        await new Promise<void>((resolve) => {
          listening.close(() => resolve());
          if ("closeAllConnections" in listening) listening.closeAllConnections();
        });
        await companions?.stop();
        await started.close();
        await service.stopDatabase();
      })());
    const workers = inProcess
      ? `${env.WORKER_CONCURRENCY} in-process workers`
      : (companions?.description ?? "no workers");
    return {
      description: `${service.description}, API over HTTP at ${baseUrl}, ${workers}`,
      sql,
      runThread: (question, abort) => httpRoundTrip(baseUrl, question, abort),
      commits: service.commits,
      storedBytes: () => tableBytes(database),
      stop,
      async close() {
        await stop();
        await service.cleanup();
      },
    };
  } catch (error) {
    server?.close();
    await companions?.stop().catch(() => undefined);
    await runtime?.close().catch(() => undefined);
    await service.stopDatabase().catch(() => undefined);
    await service.cleanup().catch(() => undefined);
    throw error;
  }
}

async function call(
  baseUrl: string,
  method: string,
  route: string,
  body: unknown,
  abort: AbortSignal,
): Promise<unknown> {
  const signal = AbortSignal.any([abort, AbortSignal.timeout((WAIT_SECONDS + 30) * 1000)]);
  let res: Response;
  try {
    res = await fetch(baseUrl + route, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    throw new BenchError(`${method} ${route}: ${(error as Error).message}`, { cause: error });
  }
  const text = await res.text();
  if (!res.ok)
    throw new BenchError(`${method} ${route} answered ${res.status}: ${text.slice(0, 500)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new BenchError(
      `${method} ${route} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`,
    );
  }
}

/** Waits (by ?wait= long polls) until the thread leaves queued/running, within the phase budget. */
async function settle(
  baseUrl: string,
  view: ThreadView,
  since: number,
  abort: AbortSignal,
): Promise<ThreadView> {
  while (view.status === "queued" || view.status === "running") {
    if (view.error) {
      // A run failed and waits for its retry: the round trip is no longer the one measured.
      throw new BenchError(
        `a run of thread ${view.thread_id} failed (the worker will retry it): ${view.error}`,
      );
    }
    if (performance.now() - since > PHASE_BUDGET_MS) {
      throw new BenchError(
        `thread ${view.thread_id} is still "${view.status}" after ${PHASE_BUDGET_MS / 1000} s: the service is not keeping up (try a lower --concurrency)`,
      );
    }
    view = (await call(
      baseUrl,
      "GET",
      `/threads/${view.thread_id}?wait=${WAIT_SECONDS}`,
      undefined,
      abort,
    )) as ThreadView;
  }
  return view;
}

async function httpRoundTrip(
  baseUrl: string,
  question: string,
  abort: AbortSignal,
): Promise<ThreadTiming> {
  const t0 = performance.now();
  let thread = (await call(
    baseUrl,
    "POST",
    `/threads?wait=${WAIT_SECONDS}`,
    { question },
    abort,
  )) as ThreadView;
  thread = await settle(baseUrl, thread, t0, abort);
  if (thread.status !== "awaiting_review") {
    throw new BenchError(
      `thread ${thread.thread_id} ("${question}") ended "${thread.status}" instead of pausing for review${thread.error ? `: ${thread.error}` : ""}`,
    );
  }
  const pending = thread.reviews.filter((r) => r.status === "pending");
  if (pending.length !== 1) {
    throw new BenchError(
      `thread ${thread.thread_id} is awaiting review with ${pending.length} pending reviews`,
    );
  }
  const t1 = performance.now();
  const decided = (await call(
    baseUrl,
    "POST",
    `/reviews/${pending[0]!.review_id}/decision?wait=${WAIT_SECONDS}`,
    { type: "approve" },
    abort,
  )) as { thread: ThreadView };
  thread = await settle(baseUrl, decided.thread, t1, abort);
  if (thread.status !== "completed" || !thread.answer) {
    throw new BenchError(
      `thread ${thread.thread_id} is "${thread.status}" after its ${pending[0]!.stage} review was approved, expected "completed" with an answer${thread.error ? `: ${thread.error}` : ""}`,
    );
  }
  const t2 = performance.now();
  return { createMs: t1 - t0, decideMs: t2 - t1, totalMs: t2 - t0 };
}

async function startEmbedded(base: Env): Promise<Driver> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "signoff-bench-"));
  const removeDir = (): Promise<void> => rm(dataDir, { recursive: true, force: true });
  const env = serviceEnv(base, { DATABASE_URL: undefined, DATA_DIR: dataDir });
  let database: Database;
  try {
    database = await openDatabase({ dataDir });
  } catch (error) {
    await removeDir();
    throw error;
  }
  const sql = new SqlCounter();
  sql.attach(database.pool);
  return startHttpService({
    env,
    database,
    sql,
    description: `${database.description} (PGlite, 1 connection via pglite-socket)`,
    stopDatabase: () => database.close(),
    cleanup: removeDir,
  });
}

function isLocalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "" || h === "localhost" || h === "::1" || h.startsWith("127.") || h.startsWith("/");
}

async function startPostgres(
  base: Env,
  allowRemote: boolean,
  workerProcesses?: number,
): Promise<Driver> {
  const baseUrl = base.DATABASE_URL!;
  const parsed = new URL(baseUrl);
  if (!isLocalHost(parsed.hostname) && !allowRemote) {
    throw new BenchError(
      `DATABASE_URL points at ${parsed.hostname}, not this machine; the bench creates and drops a database there. Pass --allow-remote-database if that is intended.`,
    );
  }
  const name = `signoff_bench_${randomBytes(8).toString("hex")}`;
  await adminQuery(baseUrl, `CREATE DATABASE ${name}`);
  const drop = (): Promise<void> =>
    adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const split = workerProcesses !== undefined;
  const env = serviceEnv(base, {
    DATABASE_URL: url.toString(),
    ...(split ? { WORKERS_IN_PROCESS: false } : {}),
  });
  let database: Database;
  try {
    database = await openDatabase({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE });
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  const sql = new SqlCounter();
  sql.attach(database.pool);
  const version = await database.pool
    .query<{ v: string }>("SELECT current_setting('server_version') AS v")
    .then((r) => r.rows[0]?.v ?? "?")
    .catch(() => "?");
  return startHttpService({
    env,
    database,
    sql,
    description: `PostgreSQL ${version} ${database.description} (scratch, pool of ${env.DATABASE_POOL_SIZE})`,
    stopDatabase: () => database.close(),
    cleanup: drop,
    inProcessWorkers: !split,
    companions: split ? () => startWorkerProcesses(workerProcesses, env, baseUrl, name) : undefined,
    commits: () => committedIn(baseUrl, name),
  });
}

/**
 * What each of the service's tables takes on disk: heap, TOAST and indexes
 * (`pg_total_relation_size`), dead row versions included until vacuum reclaims them.
 */
async function tableBytes(database: Database): Promise<Map<string, number>> {
  const { rows } = await database.pool.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = current_schema()`,
  );
  return new Map(rows.map((r) => [r.name, Number(r.bytes)]));
}

/** How much each table grew between two `tableBytes` readings, largest first. */
function growth(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  return [...after]
    .map(([name, bytes]): [string, number] => [name, bytes - (before.get(name) ?? 0)])
    .filter(([, grew]) => grew !== 0)
    .sort((a, b) => b[1] - a[1]);
}

/** `xact_commit` of the scratch database, read over a connection to another database. */
async function committedIn(adminUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1",
      [database],
    );
    return Number(rows[0]?.n ?? NaN);
  } finally {
    await client.end();
  }
}

const REPO = fileURLToPath(new URL("..", import.meta.url));
const WORKER_START_MS = 60_000;

/**
 * `npm run worker` processes (src/worker.ts under tsx, as the script runs it) over the scratch
 * database. Ready when each has its notification listener connected: then it LISTENs and polls.
 */
async function startWorkerProcesses(
  count: number,
  env: Env,
  adminUrl: string,
  database: string,
): Promise<{ description: string; stop: () => Promise<void> }> {
  const children: { child: ChildProcess; output: string; exited: Promise<void> }[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: env.DATABASE_URL,
        DATABASE_POOL_SIZE: String(env.DATABASE_POOL_SIZE),
        WORKER_CONCURRENCY: String(env.WORKER_CONCURRENCY),
        CHECKPOINT_DURABILITY: env.CHECKPOINT_DURABILITY,
        MODEL_PROVIDER: "offline",
        SEED_SAMPLE_KB: "false",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const entry = {
      child,
      output: "",
      exited: new Promise<void>((resolve) => child.once("exit", () => resolve())),
    };
    const collect = (chunk: Buffer) =>
      (entry.output = (entry.output + chunk.toString()).slice(-4000));
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    children.push(entry);
  }
  const stop = async (): Promise<void> => {
    for (const { child } of children) child.kill("SIGTERM");
    const all = Promise.all(children.map((c) => c.exited));
    const timer = setTimeout(() => children.forEach(({ child }) => child.kill("SIGKILL")), 10_000);
    await all;
    clearTimeout(timer);
  };
  const deadline = performance.now() + WORKER_START_MS;
  // The API process has a listener too: count + 1.
  while ((await listenersOn(adminUrl, database)) < count + 1) {
    const dead = children.find(({ child }) => child.exitCode !== null || child.signalCode !== null);
    if (dead || performance.now() > deadline) {
      await stop();
      throw new BenchError(
        `worker processes did not start${dead ? " (one exited)" : ` within ${WORKER_START_MS / 1000} s`}:\n${(dead ?? children[0])?.output ?? ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    description: `${count} worker process${count === 1 ? "" : "es"} × ${env.WORKER_CONCURRENCY}`,
    stop,
  };
}

async function listenersOn(adminUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = $1 AND application_name = $2`,
      [database, LISTENER_APPLICATION_NAME],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new BenchError(
      `cannot connect to DATABASE_URL (${new URL(url).host}): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function startMemory(base: Env): Promise<Driver> {
  const env = serviceEnv(base, {});
  const database = await openDatabase({});
  try {
    const sql = new SqlCounter();
    sql.attach(database.pool);
    await migrate(database.pool);
    await seedSampleKnowledgeBase(database.pool, benchLogger());
    const graph = compileGraph(new MemorySaver());
    const context = {
      providers: createOfflineProviders(database.pool),
      policy: defaultPolicy,
      settings: settingsFromEnv(env),
    };
    return {
      description:
        "LangGraph MemorySaver, graph.invoke in process (no HTTP, run queue or app tables); knowledge-base chunks in an in-memory PGlite, used by retrieval only",
      sql,
      async runThread(question, abort) {
        const config = {
          configurable: { thread_id: randomUUID() },
          context,
          signal: AbortSignal.any([abort, AbortSignal.timeout(PHASE_BUDGET_MS)]),
        };
        const t0 = performance.now();
        const paused = await graph.invoke({ question, metadata: {} }, config);
        if (!isInterrupted(paused) || paused[INTERRUPT].length !== 1) {
          throw new BenchError(`"${question}" did not pause for exactly one review on MemorySaver`);
        }
        const interruptId = paused[INTERRUPT][0]!.id!;
        const t1 = performance.now();
        const done = await graph.invoke(
          new Command({ resume: { [interruptId]: { type: "approve" } } }),
          config,
        );
        if (isInterrupted(done) || done.answer === undefined || done.provenance !== "approved") {
          throw new BenchError(
            `"${question}" did not complete with an approved answer after the approval`,
          );
        }
        const t2 = performance.now();
        return { createMs: t1 - t0, decideMs: t2 - t1, totalMs: t2 - t0 };
      },
      stop: () => database.close(),
      close: () => database.close(),
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Load

interface LoadResult {
  timings: ThreadTiming[];
  wallMs: number;
}

/** Runs `count` threads with `concurrency` clients; the first failure stops new threads. */
async function runLoad(
  driver: Driver,
  count: number,
  concurrency: number,
  abort: AbortSignal,
  onDone?: (done: number) => void,
): Promise<LoadResult> {
  const timings: ThreadTiming[] = [];
  let next = 0;
  let failure: unknown;
  const started = performance.now();
  const client = async (): Promise<void> => {
    while (failure === undefined && !abort.aborted && next < count) {
      const i = next++;
      try {
        timings.push(await driver.runThread(QUESTIONS[i % QUESTIONS.length]!, abort));
      } catch (error) {
        failure ??= error;
        return;
      }
      onDone?.(timings.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, client));
  if (failure !== undefined)
    throw failure instanceof Error
      ? failure
      : new BenchError(`a thread failed: ${inspect(failure)}`);
  if (abort.aborted) throw new BenchError("interrupted");
  return { timings, wallMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Results

interface Stats {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

interface TargetResult {
  /** The target, and for split its worker processes: `split×2`. */
  target: string;
  description: string;
  threads: number;
  concurrency: number;
  warmup: number;
  wall_s: number;
  threads_per_s: number;
  create_to_paused_ms: Stats;
  decision_to_completed_ms: Stats;
  end_to_end_ms: Stats;
  sql_statements_per_thread: number;
  /**
   * Transactions Postgres committed in the scratch database during the measured phase (every
   * process's, worker polling included) ÷ threads; null off Postgres.
   */
  postgres_commits_per_thread: number | null;
  /**
   * How much the database grew over the measured phase ÷ threads (every table: heap, TOAST,
   * indexes; page-granular, dead row versions included); null for the in-memory target.
   */
  stored_kb_per_thread: number | null;
  /** The same by table, largest first. */
  stored_kb_per_thread_by_table: Record<string, number> | null;
  sql_statements_total: number;
  sql_one_shot_pool_queries_total: number;
  /** CPU time of this Node process (user + system) per measured thread. */
  node_cpu_ms_per_thread: number;
  /** The same as a share of one core over the measured wall time. */
  node_cpu_cores_busy: number;
  /** os.loadavg()[0] when measuring started: other work on the machine skews the numbers. */
  load_average_at_start: number;
  /** The most frequent statements during the measured phase. */
  sql_top: { statement: string; per_thread: number }[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    max: round(sorted[sorted.length - 1]!),
  };
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memory_gib: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

function table(results: TargetResult[]): string {
  const header = [
    "target",
    "threads",
    "conc",
    "threads/s",
    "create→paused p50/p99 ms",
    "decision→completed p50/p99 ms",
    "end-to-end p50/p99 ms",
    "SQL/thread",
    "commits/thread (pg)",
    "stored KB/thread",
    "node CPU ms/thread",
  ];
  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const rows = results.map((r) => [
    r.target,
    String(r.threads),
    String(r.concurrency),
    r.threads_per_s.toFixed(1),
    `${fmt(r.create_to_paused_ms.p50)} / ${fmt(r.create_to_paused_ms.p99)}`,
    `${fmt(r.decision_to_completed_ms.p50)} / ${fmt(r.decision_to_completed_ms.p99)}`,
    `${fmt(r.end_to_end_ms.p50)} / ${fmt(r.end_to_end_ms.p99)}`,
    r.sql_statements_per_thread.toFixed(1),
    r.postgres_commits_per_thread === null ? "–" : r.postgres_commits_per_thread.toFixed(1),
    r.stored_kb_per_thread === null ? "–" : r.stored_kb_per_thread.toFixed(1),
    `${r.node_cpu_ms_per_thread.toFixed(1)} (${r.node_cpu_cores_busy.toFixed(2)} cores)`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main

/** Idle backends flush their statistics within 10 s (PGSTAT_IDLE_INTERVAL); wait that out. */
const STATS_FLUSH_MS = 11_000;

async function benchTarget(
  target: Target,
  env: Env,
  options: Options,
  abort: AbortSignal,
  workerProcesses?: number,
): Promise<TargetResult> {
  const label = target === "split" ? `split×${workerProcesses}` : target;
  const log = (message: string): void => void process.stderr.write(`[${label}] ${message}\n`);
  const setupStarted = performance.now();
  log("starting…");
  const driver =
    target === "embedded"
      ? await startEmbedded(env)
      : target === "postgres" || target === "split"
        ? await startPostgres(env, options.allowRemoteDatabase, workerProcesses)
        : await startMemory(env);
  try {
    log(
      `ready in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s: ${driver.description}`,
    );
    if (options.warmup > 0) {
      await runLoad(driver, options.warmup, options.concurrency, abort);
      log(`warmed up with ${options.warmup} threads`);
    }
    let commitsAtStart: number | undefined;
    if (driver.commits) {
      log(`letting Postgres flush its statistics (${STATS_FLUSH_MS / 1000} s)…`);
      await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_MS));
      commitsAtStart = await driver.commits();
    }
    const storedAtStart = await driver.storedBytes?.();
    driver.sql.reset();
    const loadAtStart = os.loadavg()[0] ?? 0;
    const cpuAtStart = process.cpuUsage();
    const step = Math.max(1, Math.ceil(options.threads / 10));
    const measureStarted = performance.now();
    let last = { done: 0, at: measureStarted };
    const { timings, wallMs } = await runLoad(
      driver,
      options.threads,
      options.concurrency,
      abort,
      (done) => {
        if (done % step === 0 || done === options.threads) {
          const now = performance.now();
          const overall = done / ((now - measureStarted) / 1000);
          const recent = (done - last.done) / ((now - last.at) / 1000);
          last = { done, at: now };
          log(
            `${done}/${options.threads} (${Math.round((done / options.threads) * 100)}%) ${overall.toFixed(1)} threads/s so far, ${recent.toFixed(1)} in the last step`,
          );
        }
      },
    );
    const statements = driver.sql.statements;
    const cpu = process.cpuUsage(cpuAtStart);
    const grown =
      storedAtStart && driver.storedBytes
        ? growth(storedAtStart, await driver.storedBytes())
        : undefined;
    const kbPerThread = (bytes: number): number =>
      Math.round((bytes / 1024 / options.threads) * 10) / 10;
    let commits: number | null = null;
    if (driver.commits && commitsAtStart !== undefined) {
      // Stopped first: an exiting backend flushes its statistics.
      await driver.stop();
      commits = (await driver.commits()) - commitsAtStart;
    }
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (options.sqlBreakdown) {
      log("most frequent SQL statements (per thread):");
      for (const { statement, per_thread } of driver.sql.top(15, options.threads)) {
        log(`  ${per_thread.toFixed(2).padStart(6)}  ${statement}`);
      }
      if (grown) {
        log("stored KB per thread, by table:");
        for (const [name, bytes] of grown) {
          log(`  ${kbPerThread(bytes).toFixed(1).padStart(6)}  ${name}`);
        }
      }
    }
    return {
      target: label,
      description: driver.description,
      threads: options.threads,
      concurrency: options.concurrency,
      warmup: options.warmup,
      wall_s: Math.round(wallMs) / 1000,
      threads_per_s: Math.round((options.threads / (wallMs / 1000)) * 10) / 10,
      create_to_paused_ms: stats(timings.map((t) => t.createMs)),
      decision_to_completed_ms: stats(timings.map((t) => t.decideMs)),
      end_to_end_ms: stats(timings.map((t) => t.totalMs)),
      sql_statements_per_thread: Math.round((statements / options.threads) * 10) / 10,
      postgres_commits_per_thread:
        commits === null ? null : Math.round((commits / options.threads) * 10) / 10,
      stored_kb_per_thread: grown
        ? kbPerThread(grown.reduce((sum, [, bytes]) => sum + bytes, 0))
        : null,
      stored_kb_per_thread_by_table: grown
        ? Object.fromEntries(grown.map(([name, bytes]) => [name, kbPerThread(bytes)]))
        : null,
      sql_statements_total: statements,
      sql_one_shot_pool_queries_total: driver.sql.viaPoolQuery,
      sql_top: driver.sql.top(15, options.threads),
      node_cpu_ms_per_thread: Math.round((cpuMs / options.threads) * 10) / 10,
      node_cpu_cores_busy: Math.round((cpuMs / wallMs) * 100) / 100,
      load_average_at_start: Math.round(loadAtStart * 100) / 100,
    };
  } finally {
    await driver
      .close()
      .catch((error: unknown) => log(`cleanup failed: ${(error as Error).message}`));
  }
}

async function main(): Promise<void> {
  const env = readEnv();
  const options = parseOptions(env);
  const controller = new AbortController();
  let interrupts = 0;
  process.on("SIGINT", () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write("interrupted: stopping and cleaning up (Ctrl-C again to quit at once)\n");
    controller.abort(new BenchError("interrupted"));
  });

  const results: TargetResult[] = [];
  const runs = options.targets.flatMap((target): { target: Target; workers?: number }[] =>
    target === "split" ? options.workers.map((n) => ({ target, workers: n })) : [{ target }],
  );
  for (const { target, workers } of runs) {
    try {
      results.push(await benchTarget(target, env, options, controller.signal, workers));
    } catch (error) {
      throw new BenchError(`target ${target} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  const m = machine();
  const out = [
    "",
    `signoff bench: ${options.threads} threads per target (after ${options.warmup} warm-up), concurrency ${options.concurrency}; each thread: create → pause for answer review → approve → completed`,
    "",
    table(results),
    "",
    ...results.map((r) => `  ${r.target.padEnd(8)}  ${r.description}`),
    "",
    "  create→paused: POST /threads?wait=30 until the thread is awaiting_review (memory: invoke until the interrupt).",
    "  decision→completed: POST /reviews/:id/decision?wait=30 until completed (memory: resume with Command).",
    "  SQL/thread: statements sent through the target's pg pool during the measured phase (incl. worker polling), ÷ threads;",
    "    split: the API process's statements only (its worker processes have their own pools).",
    "  commits/thread (pg): pg_stat_database.xact_commit of the scratch database over the measured phase (all processes,",
    "    polling included) ÷ threads, as Postgres counts it.",
    "  stored KB/thread: growth of every table (heap, TOAST, indexes; 8 KB pages; dead row versions until vacuum)",
    "    over the measured phase ÷ threads; --sql-breakdown lists it by table.",
    "  node CPU: this process's user+system CPU during the measured phase ÷ threads (embedded and memory include PGlite,",
    "    which runs on the main thread; postgres excludes the server), and the average number of cores it kept busy.",
    "",
    `  machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, node ${m.node}, ${m.platform}`,
    `  1-min load average when each target started measuring: ${results.map((r) => `${r.target} ${r.load_average_at_start}`).join(", ")}`,
    `  settings: WORKER_CONCURRENCY=${env.WORKER_CONCURRENCY} DATABASE_POOL_SIZE=${env.DATABASE_POOL_SIZE} (postgres) CHECKPOINT_DURABILITY=${env.CHECKPOINT_DURABILITY} MODEL_PROVIDER=offline`,
    "",
  ].join("\n");
  process.stdout.write(out);

  if (options.json) {
    const doc = { generated_at: new Date().toISOString(), machine: m, options, results };
    await writeFile(options.json, JSON.stringify(doc, null, 2) + "\n");
    process.stderr.write(`wrote ${options.json}\n`);
  }
}

main().then(
  () => {
    process.exitCode = 0;
    // Keep-alive sockets or library timers must not keep a finished bench alive.
    setTimeout(() => process.exit(), 2000).unref();
  },
  (error: unknown) => {
    if (error instanceof BenchError || error instanceof EnvError)
      console.error(`bench: ${error.message}`);
    else
      console.error(
        `bench: ${error instanceof Error ? (error.stack ?? error.message) : inspect(error)}`,
      );
    // An unexpected error inside a target: show where it came from.
    const cause = (error as Error)?.cause;
    if (cause !== undefined && !(cause instanceof BenchError)) console.error(cause);
    process.exitCode = 1;
    setTimeout(() => process.exit(), 2000).unref();
  },
);
