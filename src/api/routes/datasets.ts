import { createRoute } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import { z } from "zod";
import { requireRole } from "../auth.js";
import { errors, routeGroup } from "../openapi.js";
import { isStorableTimestamp } from "../../validation/timestamps.js";
import { exportExamples, toJsonl } from "../../evals/export.js";

/** `GET /datasets/export` query: the CLI's options. */
export const exportDatasetQuery = z
  .object({
    since: z
      .union([z.iso.datetime({ offset: true }), z.iso.date()])
      .refine(isStorableTimestamp, "not a date Postgres can store (years 1 to 9999)")
      .optional()
      .describe(
        "only threads with human signal at or after this time (ISO 8601 date or date-time)",
      ),
    test_share: z
      .string()
      .regex(/^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/, "a number from 0 to 1")
      .transform(Number)
      .optional()
      .describe("share of questions in the test split, from 0 to 1 (default 0.2)"),
    split: z.enum(["train", "test"]).optional().describe("only this split"),
  })
  .strict();

const exampleLine = z.object({
  inputs: z.record(z.string(), z.unknown()),
  outputs: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
});

const exportRoute = createRoute({
  method: "get",
  path: "/export",
  tags: ["datasets"],
  summary: "Human-signal examples as NDJSON, for eval datasets",
  description:
    "Roles: reviewer, admin. One `{inputs, outputs, metadata}` example per line; the `X-Export-Examples` header gives the count.",
  middleware: [requireRole("reviewer", "admin")] as const,
  request: { query: exportDatasetQuery },
  responses: {
    200: {
      description: "One `{inputs, outputs, metadata}` example per line",
      content: { "application/x-ndjson": { schema: exampleLine } },
    },
    ...errors.query,
  },
});

export function datasetRoutes() {
  // Builds the whole export before the first byte (duplicates are removed across all threads),
  // so a database error is still a JSON error response; then streams it as NDJSON.
  return routeGroup().openapi(exportRoute, async (c) => {
    const q = c.req.valid("query");
    const { examples, stats } = await exportExamples(c.var.db, {
      since: q.since === undefined ? undefined : new Date(q.since),
      testShare: q.test_share,
      split: q.split,
    });
    c.header("content-type", "application/x-ndjson; charset=utf-8");
    c.header("cache-control", "no-store");
    c.header("x-export-examples", String(stats.examples));
    // A streamed body has no typed JSON response to check against the declaration.
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
    ) as never;
  });
}
