import type { Queryable } from "../db/database.js";

/**
 * How many of these ids are live passages of the knowledge base (duplicates count once): a
 * reviewer's evidence cannot bring in a version that is pending, rejected or replaced.
 */
export async function countKnownChunks(db: Queryable, chunkIds: string[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    "SELECT count(*) AS n FROM chunks WHERE live AND chunk_id = ANY($1::uuid[])",
    [chunkIds],
  );
  return Number(rows[0]?.n);
}
