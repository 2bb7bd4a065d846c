import { describe, expect, it } from "vitest";
import { migrate } from "../src/db/migrate.js";
import { reviewStages } from "../src/graph/decision.js";
import { testDatabases } from "./support/databases.js";

/**
 * The migrations' CHECK on reviews.stage cannot import `reviewStages`, so this reads it back
 * from a migrated database and holds the two to the same list.
 */
describe.each(testDatabases)("the review stages in the schema ($name)", (kind) => {
  it("the CHECK constraint on reviews.stage allows exactly reviewStages", async () => {
    const db = await kind.open();
    try {
      await migrate(db.pool);
      const { rows } = await db.pool.query<{ definition: string }>(
        `SELECT pg_get_constraintdef(c.oid) AS definition
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          WHERE t.relname = 'reviews' AND c.contype = 'c'
            AND pg_get_constraintdef(c.oid) LIKE '%stage%'`,
      );
      expect(rows).toHaveLength(1);
      // e.g. CHECK ((stage = ANY (ARRAY['retrieval'::text, 'answer'::text])))
      const allowed = [...rows[0]!.definition.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      expect(allowed).toEqual([...reviewStages]);
    } finally {
      await db.close();
    }
  });
});
