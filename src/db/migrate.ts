import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
/** Arbitrary constant key for pg_advisory_lock; every process migrating takes the same one. */
const MIGRATION_LOCK_KEY = 7_301_946_221;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(): Promise<Migration[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ""),
      sql: await readFile(MIGRATIONS_DIR + file, "utf8"),
    })),
  );
}

export interface MigrationResult {
  applied: string[];
}

/**
 * Applies pending app migrations and the LangGraph checkpoint tables, once, under an advisory
 * lock held by one session: concurrent `PostgresSaver.setup()` calls from several processes
 * collide otherwise. Everything runs on that one client, so it also works with a pool of one.
 */
export async function migrate(pool: pg.Pool): Promise<MigrationResult> {
  const migrations = await loadMigrations();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map(
        (r) => r.version,
      ),
    );
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
          migration.version,
          migration.name,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      applied.push(migration.name);
    }
    await new PostgresSaver(lockedClientAsPool(client)).setup();
  } finally {
    await client
      .query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    client.release();
  }
  return { applied };
}

/** Lets PostgresSaver.setup() run on the client that holds the migration lock. */
function lockedClientAsPool(client: pg.PoolClient): pg.Pool {
  const borrowed = { query: client.query.bind(client), release: () => undefined };
  return { connect: () => Promise.resolve(borrowed) } as unknown as pg.Pool;
}

export interface SchemaStatus {
  pending: string[];
}

/** Which migrations this code knows that the database has not applied (for /readyz). */
export async function schemaStatus(pool: pg.Pool): Promise<SchemaStatus> {
  const migrations = await loadMigrations();
  const exists = await pool.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return { pending: migrations.map((m) => m.name) };
  const { rows } = await pool.query<{ version: number }>("SELECT version FROM schema_migrations");
  const done = new Set(rows.map((r) => r.version));
  return { pending: migrations.filter((m) => !done.has(m.version)).map((m) => m.name) };
}
