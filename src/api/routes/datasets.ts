import { Hono } from "hono";
import { stream } from "hono/streaming";
import { z } from "zod";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { query } from "../validate.js";
import { isStorableTimestamp } from "../../validation/timestamps.js";
import { exportExamples, toJsonl } from "../../evals/export.js";

/** `GET /datasets/export` query: the CLI's options. */
export const exportDatasetQuery = z
  .object({
    /** Only threads with human signal at or after this time (ISO 8601 date or date-time). */
    since: z
      .union([z.iso.datetime({ offset: true }), z.iso.date()])
      .refine(isStorableTimestamp, "not a date Postgres can store (years 1 to 9999)")
      .optional(),
    /** Share of questions in the test split (default 0.2). */
    test_share: z
      .string()
      .regex(/^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/, "a number from 0 to 1")
      .transform(Number)
      .optional(),
    split: z.enum(["train", "test"]).optional(),
  })
  .strict();

export function datasetRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use(requireRole("reviewer", "admin"));

  // Builds the whole export before the first byte (duplicates are removed across all threads),
  // so a database error is still a JSON error response; then streams it as NDJSON.
  app.get("/export", async (c) => {
    const q = query(c, exportDatasetQuery);
    const { examples, stats } = await exportExamples(c.var.db, {
      since: q.since === undefined ? undefined : new Date(q.since),
      testShare: q.test_share,
      split: q.split,
    });
    c.header("content-type", "application/x-ndjson; charset=utf-8");
    c.header("cache-control", "no-store");
    c.header("x-export-examples", String(stats.examples));
    return stream(
      c,
      async (out) => {
        let gone = false;
        out.onAbort(() => {
          gone = true;
        });
        for (const example of examples) {
          if (gone) break;
          await out.write(toJsonl(example));
        }
      },
      // Only a client that went away can fail a write here; there is nobody left to tell.
      () => Promise.resolve(),
    );
  });

  return app;
}
