import { randomUUID } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/database.js";
import { parseEnv } from "../../src/env.js";

/** TEST_DATABASE_URL, read through src/env.ts like everything else. */
export const testDatabaseUrl = parseEnv(process.env).TEST_DATABASE_URL;

export interface TestDatabaseKind {
  name: "pglite" | "postgres";
  /** A new, empty database of this kind; close() drops it. */
  open(): Promise<Database>;
}

/** A fresh database on the machine's Postgres, dropped when closed. */
async function openScratchPostgres(baseUrl: string): Promise<Database> {
  const name = `signoff_test_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolSize: 10 });
  const scratch: Database = {
    ...db,
    async close() {
      await db.close();
      const dropper = new pg.Client({ connectionString: baseUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
  scratchUrls.set(scratch, url.toString());
  return scratch;
}

const scratchUrls = new WeakMap<Database, string>();

/**
 * The databases every storage test runs against: embedded PGlite always, and the real Postgres
 * at TEST_DATABASE_URL when it is set (CI sets it; an unreachable server fails the run).
 */
export const testDatabases: TestDatabaseKind[] = [
  { name: "pglite", open: () => openDatabase({}) },
  ...(testDatabaseUrl
    ? [{ name: "postgres" as const, open: () => openScratchPostgres(testDatabaseUrl) }]
    : []),
];

/**
 * A database that survives its pool being closed, for restart tests: PGlite persisted in a temp
 * directory, or a scratch database on the real Postgres.
 */
export interface ReopenableDatabase {
  /** The connection string (real Postgres only), for other processes. */
  url?: string;
  open(): Promise<Database>;
  destroy(): Promise<void>;
}

export async function reopenable(kind: TestDatabaseKind["name"]): Promise<ReopenableDatabase> {
  if (kind === "pglite") {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dir = await mkdtemp(path.join(tmpdir(), "signoff-restart-"));
    return {
      open: () => openDatabase({ dataDir: dir }),
      destroy: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const scratch = await openScratchPostgres(testDatabaseUrl!);
  const url = scratchUrls.get(scratch)!;
  await scratch.pool.end();
  return {
    url,
    open: () => openDatabase({ url, poolSize: 5 }),
    destroy: async () => {
      const dropper = new pg.Client({ connectionString: testDatabaseUrl });
      await dropper.connect();
      try {
        await dropper.query(
          `DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`,
        );
      } finally {
        await dropper.end();
      }
    },
  };
}
