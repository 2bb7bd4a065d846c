import { randomBytes } from "node:crypto";
import type { Queryable } from "../db/database.js";

/**
 * The secret called `name`, made (32 random bytes) by the first process that asks: the insert is
 * a no-op when another process won, and the read then returns the winner's, so all agree.
 */
export async function ensureAppSecret(db: Queryable, name: string): Promise<Buffer> {
  await db.query(
    "INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    [name, randomBytes(32)],
  );
  const { rows } = await db.query<{ value: Buffer }>(
    "SELECT value FROM app_secrets WHERE name = $1",
    [name],
  );
  return rows[0]!.value;
}
