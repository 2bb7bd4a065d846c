import { Hono } from "hono";
import type { ApiEnv } from "../app.js";
import { ApiError } from "../errors.js";
import { decisionBody, listReviewsQuery, waitQuery } from "../schemas.js";
import { idParam, jsonBody, query } from "../validate.js";
import { decide, decodeCursor, getReview, listReviews } from "../../services/reviews.js";
import { getThread, waitForThread } from "../../services/threads.js";

export function reviewRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get("/", async (c) => {
    const q = query(c, listReviewsQuery);
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !cursor) {
      throw new ApiError(400, "invalid_cursor", "cursor is not one this API returned");
    }
    return c.json(await listReviews(c.var.services.reviews.pool, { ...q, cursor }));
  });

  app.get("/:reviewId", async (c) => {
    return c.json(await getReview(c.var.services.reviews.pool, idParam(c, "reviewId")));
  });

  app.post("/:reviewId/decision", async (c) => {
    const reviewId = idParam(c, "reviewId");
    const { wait } = query(c, waitQuery);
    const decision = await jsonBody(c, decisionBody);
    const result = await decide(c.var.services.reviews, reviewId, decision, c.var.actor);
    const threads = c.var.services.threads;
    const thread = wait
      ? await waitForThread(threads, result.thread_id, wait)
      : await getThread(threads.pool, result.thread_id);
    return c.json({ review: result.review, thread });
  });

  return app;
}
