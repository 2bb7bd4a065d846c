import { Hono } from "hono";
import type { ApiEnv } from "../app.js";
import { createThreadBody, feedbackBody, waitQuery } from "../schemas.js";
import { idempotencyKeyHeader, idParam, jsonBody, query } from "../validate.js";
import { getThread, startThread, waitForThread } from "../../services/threads.js";
import { recordUserFeedback } from "../../services/feedback.js";

export function threadRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.post("/", async (c) => {
    const { wait } = query(c, waitQuery);
    const body = await jsonBody(c, createThreadBody);
    const deps = c.var.services.threads;
    const { thread, created } = await startThread(deps, {
      question: body.question,
      metadata: body.metadata,
      idempotencyKey: idempotencyKeyHeader(c),
    });
    const view = wait ? await waitForThread(deps, thread.thread_id, wait) : thread;
    // 202: accepted and running in the background; a repeated Idempotency-Key answers 200.
    return c.json(view, created ? 202 : 200);
  });

  app.get("/:threadId", async (c) => {
    const threadId = idParam(c, "threadId");
    const { wait } = query(c, waitQuery);
    const deps = c.var.services.threads;
    return c.json(wait ? await waitForThread(deps, threadId, wait) : await getThread(deps.pool, threadId));
  });

  app.post("/:threadId/feedback", async (c) => {
    const threadId = idParam(c, "threadId");
    const body = await jsonBody(c, feedbackBody);
    const result = await recordUserFeedback(
      c.var.services.threads.pool,
      threadId,
      body,
      c.var.actor,
      idempotencyKeyHeader(c),
    );
    const { created, ...rest } = result;
    return c.json(rest, created ? 201 : 200);
  });

  return app;
}
