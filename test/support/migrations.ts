import type pg from "pg";
import { loadMigrations } from "../../src/db/migrate.js";

/**
 * The schema as it was before migration `version`: the app's earlier migrations applied and
 * recorded as `migrate()` records them, so a test can put rows in and then run the migration
 * under test on existing data (`migrate()` applies the rest).
 */
export async function migrateBefore(pool: pg.Pool, version: number): Promise<void> {
  await pool.query(`CREATE TABLE schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const m of (await loadMigrations()).filter((m) => m.version < version)) {
    await pool.query(m.sql);
    await pool.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
      m.version,
      m.name,
    ]);
  }
}
