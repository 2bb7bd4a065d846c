import { Hono, type Context } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { ApiError } from "../errors.js";
import { decisionBody, listReviewsQuery, waitQuery } from "../schemas.js";
import { idParam, jsonBody, query } from "../validate.js";
import {
  claim,
  decide,
  decodeCursor,
  getReview,
  heartbeat,
  listReviews,
  release,
  reviewEvents,
  type Caller,
} from "../../services/reviews.js";
import { getThread, waitForThread } from "../../services/threads.js";

/** The decision body: a decision plus, optionally, the card version the reviewer was shown. */
const decisionRequest = z.object({ version: z.string().min(1).max(100).optional() }).loose();

function caller(c: Context<ApiEnv>): Caller {
  const p = c.var.principal;
  return { name: p.name, admin: p.open || p.role === "admin" };
}

export function reviewRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use(requireRole("reviewer", "admin"));

  app.get("/", async (c) => {
    const q = query(c, listReviewsQuery);
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !cursor) {
      throw new ApiError(400, "invalid_cursor", "cursor is not one this API returned");
    }
    const assignee = q.assignee === "me" ? c.var.actor : q.assignee;
    return c.json(await listReviews(c.var.services.reviews, { ...q, assignee, cursor }));
  });

  app.get("/:reviewId", async (c) => {
    return c.json(await getReview(c.var.services.reviews, idParam(c, "reviewId")));
  });

  app.get("/:reviewId/events", async (c) => {
    const items = await reviewEvents(c.var.db, idParam(c, "reviewId"));
    return c.json({ items });
  });

  app.post("/:reviewId/claim", async (c) => {
    return c.json(await claim(c.var.services.reviews, idParam(c, "reviewId"), caller(c)));
  });

  // Renews only the caller's own claim: a stale tab's heartbeat never takes an item over.
  app.post("/:reviewId/heartbeat", async (c) => {
    return c.json(await heartbeat(c.var.services.reviews, idParam(c, "reviewId"), caller(c)));
  });

  app.post("/:reviewId/release", async (c) => {
    return c.json(await release(c.var.services.reviews, idParam(c, "reviewId"), caller(c)));
  });

  app.post("/:reviewId/decision", async (c) => {
    const reviewId = idParam(c, "reviewId");
    const { wait } = query(c, waitQuery);
    const { version, ...rest } = await jsonBody(c, decisionRequest);
    const parsed = decisionBody.safeParse(rest);
    if (!parsed.success) {
      throw new ApiError(
        422,
        "validation_failed",
        "the request body is not valid",
        parsed.error.issues.map((i) => ({
          path: i.path.join(".") || "(root)",
          message: i.message,
        })),
      );
    }
    const result = await decide(c.var.services.reviews, reviewId, parsed.data, caller(c), {
      version,
    });
    const threads = c.var.services.threads;
    const thread =
      wait && result.outcome === "decided"
        ? await waitForThread(threads, result.thread_id, wait)
        : await getThread(threads.pool, result.thread_id);
    return c.json({ outcome: result.outcome, review: result.review, thread });
  });

  return app;
}
