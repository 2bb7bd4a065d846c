import type { Queryable } from "../db/database.js";

/** How many of these ids are passages of the knowledge base (duplicates count once). */
export async function countKnownChunks(db: Queryable, chunkIds: string[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    "SELECT count(*) AS n FROM chunks WHERE chunk_id = ANY($1::uuid[])",
    [chunkIds],
  );
  return Number(rows[0]?.n);
}
