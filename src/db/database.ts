import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { isDatabaseUnavailable, markFromDatabase } from "./errors.js";

/** A Postgres connection pool plus whatever owns the server behind it. */
export interface Database {
  readonly pool: pg.Pool;
  readonly kind: "embedded" | "postgres";
  /** Where the data lives, safe to log (no password). */
  readonly description: string;
  close(): Promise<void>;
}

export type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

export interface DatabaseOptions {
  /** A Postgres connection string. Without one, an embedded PGlite database is started. */
  url?: string;
  poolSize?: number;
  /** Directory for the embedded database; omitted means in memory (tests). */
  dataDir?: string;
  /** How long to wait for a new connection before the request fails (and gets a 503). */
  connectTimeoutMs?: number;
  /** Told about connections the server dropped (they are discarded; nothing else to do). */
  onConnectionError?: (error: Error) => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options) : openEmbedded(options);
}

/**
 * A connection the server drops emits 'error' on its `pg.Client`, and an 'error' event with no
 * listener ends the process. The pool listens only while a client is idle; a client checked out
 * by a transaction or by the checkpointer has none. So every client gets its own listener the
 * moment it connects: the error also fails the query in flight (the caller sees it, and answers
 * 503), and the pool discards the broken client when it is released.
 */
function survivesDroppedConnections(pool: pg.Pool, onError: (error: Error) => void): void {
  pool.on("connect", (client) => client.on("error", onError));
  pool.on("error", onError);
}

/**
 * Every error of a pool or a client is marked as the database's (see markFromDatabase), and
 * `pool.query()` is replaced: pg-pool's releases its client *with the query's error*, which
 * closes the connection, so every refused statement (a bad date, a NUL byte) cost a reconnect.
 * On the embedded database that reconnect raced the old session's teardown and other requests
 * failed with "Connection terminated unexpectedly" (503s beside one client's bad input). Here a
 * client goes back to the pool after a statement error and is discarded only when its
 * connection is the problem. Promise forms only: nothing here passes callbacks.
 */
function instrumentPool(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool);
  const rethrow = (error: unknown): never => {
    throw markFromDatabase(error);
  };
  pool.on("connect", (client) => {
    const clientQuery = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const result = clientQuery(...args);
      return result instanceof Promise ? result.catch(rethrow) : result;
    };
  });
  (pool as { connect: unknown }).connect = (...args: unknown[]) => {
    if (args.length > 0) throw new TypeError("pool.connect: use the promise form");
    return connect().catch(rethrow);
  };
  (pool as { query: unknown }).query = async (text: unknown, values?: unknown) => {
    if (typeof values === "function") throw new TypeError("pool.query: use the promise form");
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await client.query(text as string, values as unknown[]);
    } catch (error) {
      // A FATAL error (the backend was terminated) arrives before the socket closes: the client
      // still looks queryable, so say so, or the pool hands a dying connection to the next caller.
      const fatal = (error as { severity?: string }).severity === "FATAL";
      if (fatal || isDatabaseUnavailable(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  };
}

function openPostgres(url: string, options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // TCP keepalive notices a server that vanished without closing the connection.
    keepAlive: true,
  });
  survivesDroppedConnections(pool, options.onConnectionError ?? (() => undefined));
  instrumentPool(pool);
  const parsed = new URL(url);
  return {
    pool,
    kind: "postgres",
    description: `postgres://${parsed.host}${parsed.pathname}`,
    close: () => pool.end(),
  };
}

/**
 * PGlite is Postgres compiled to WASM running in this process. It has a single session, so it is
 * exposed to `pg` through pglite-socket with a pool of exactly one connection: a larger pool
 * interleaves statements of different transactions on that one session.
 */
async function openEmbedded(options: DatabaseOptions): Promise<Database> {
  const { dataDir } = options;
  let location = "memory://";
  let unlock = (): Promise<void> => Promise.resolve();
  if (dataDir) {
    location = path.resolve(dataDir, "pgdata");
    await mkdir(location, { recursive: true });
    unlock = await lockDataDir(path.resolve(dataDir, "pgdata.lock"));
  }
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir ? location : undefined);
  } catch (error) {
    await unlock();
    throw error;
  }
  // The pool holds one connection; the server accepts a few so that a replacement is never
  // refused while a closed one is still being torn down (its queue still runs one at a time).
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 });
  await server.start();
  const [host, port] = splitHostPort(server.getServerConn());
  const pool = new pg.Pool({
    host,
    port,
    user: "postgres",
    database: "postgres",
    max: 1,
    idleTimeoutMillis: 0,
  });
  survivesDroppedConnections(pool, options.onConnectionError ?? (() => undefined));
  instrumentPool(pool);
  return {
    pool,
    kind: "embedded",
    description: `pglite ${location}`,
    async close() {
      await pool.end();
      await server.stop();
      await db.close();
      await unlock();
    },
  };
}

export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

/**
 * PGlite has no lock of its own and two processes writing one data directory corrupt it, so the
 * embedded database takes a pid file. A lock left by a process that no longer runs is taken over.
 */
async function lockDataDir(lockFile: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: "wx" });
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number((await readFile(lockFile, "utf8").catch(() => "")).trim());
      if (pid && pid !== process.pid && processRuns(pid)) {
        throw new DataDirInUseError(
          `the embedded database in ${path.dirname(lockFile)} is in use by process ${pid}: stop it first, or set DATABASE_URL to share a Postgres server`,
        );
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new DataDirInUseError(`could not lock ${lockFile}`);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function splitHostPort(conn: string): [string, number] {
  const index = conn.lastIndexOf(":");
  return [conn.slice(0, index), Number(conn.slice(index + 1))];
}

/** Runs `work` in a transaction on one client; rolls back on any error. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A client whose ROLLBACK failed is in an unknown state: released with an error, it is discarded.
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
