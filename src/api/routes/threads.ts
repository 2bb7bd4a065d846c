import { Hono, type Context } from "hono";
import { notFound } from "../../services/errors.js";
import { threadOwner } from "../../repositories/threads.js";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { createThreadBody, feedbackBody, waitQuery } from "../schemas.js";
import { idempotencyKeyHeader, idParam, jsonBody, query } from "../validate.js";
import { getThread, startThread, waitForThread } from "../../services/threads.js";
import { recordUserFeedback } from "../../services/feedback.js";

/** A client key sees only the threads it started (others look like they do not exist). */
async function assertCanRead(c: Context<ApiEnv>, threadId: string): Promise<void> {
  const principal = c.var.principal;
  if (principal.open || principal.role !== "client") return;
  const owner = await threadOwner(c.var.db, threadId);
  if (owner !== undefined && owner !== principal.id) throw notFound("thread", threadId);
}

export function threadRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.post("/", requireRole("client", "admin"), async (c) => {
    const { wait } = query(c, waitQuery);
    const body = await jsonBody(c, createThreadBody);
    const deps = c.var.services.threads;
    const { thread, created } = await startThread(deps, {
      question: body.question,
      metadata: body.metadata,
      idempotencyKey: idempotencyKeyHeader(c),
      caller: { id: c.var.principal.id, name: c.var.principal.name },
    });
    const view = wait ? await waitForThread(deps, thread.thread_id, wait) : thread;
    // 202: accepted and running in the background; a repeated Idempotency-Key answers 200.
    return c.json(view, created ? 202 : 200);
  });

  app.get("/:threadId", async (c) => {
    const threadId = idParam(c, "threadId");
    const { wait } = query(c, waitQuery);
    const deps = c.var.services.threads;
    await assertCanRead(c, threadId);
    return c.json(
      wait ? await waitForThread(deps, threadId, wait) : await getThread(deps.pool, threadId),
    );
  });

  app.post("/:threadId/feedback", async (c) => {
    const threadId = idParam(c, "threadId");
    const body = await jsonBody(c, feedbackBody);
    await assertCanRead(c, threadId);
    const result = await recordUserFeedback(
      c.var.db,
      threadId,
      body,
      { id: c.var.principal.id, name: c.var.principal.name },
      idempotencyKeyHeader(c),
    );
    const { created, ...rest } = result;
    return c.json(rest, created ? 201 : 200);
  });

  return app;
}
