import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { notFound } from "../../services/errors.js";
import { threadOwner } from "../../repositories/threads.js";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import {
  createThreadBody,
  feedbackBody,
  feedbackResponse,
  threadResponse,
  waitQuery,
} from "../schemas.js";
import {
  errors,
  idempotencyHeaders,
  json,
  jsonRequestBody,
  routeGroup,
  uuidParam,
} from "../openapi.js";
import { getThread, startThread, waitForThread } from "../../services/threads.js";
import { recordUserFeedback } from "../../services/feedback.js";

/** A client key sees only the threads it started (others look like they do not exist). */
async function assertCanRead(c: Context<ApiEnv>, threadId: string): Promise<void> {
  const principal = c.var.principal;
  if (principal.open || principal.role !== "client") return;
  const owner = await threadOwner(c.var.db, threadId);
  if (owner !== undefined && owner !== principal.id) throw notFound("thread", threadId);
}

const threadPath = z.object({ threadId: uuidParam });

const startThreadRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["threads"],
  summary: "Ask a question; the thread runs in the background",
  description: "Roles: client, admin.",
  middleware: [requireRole("client", "admin")] as const,
  request: {
    query: waitQuery,
    headers: idempotencyHeaders,
    body: jsonRequestBody(createThreadBody),
  },
  responses: {
    202: { description: "Accepted: running in the background", content: json(threadResponse) },
    200: {
      description: "Same Idempotency-Key as an earlier request",
      content: json(threadResponse),
    },
    ...errors.body,
  },
});

const getThreadRoute = createRoute({
  method: "get",
  path: "/{threadId}",
  tags: ["threads"],
  summary: "A thread's status and answer",
  description: "Any role; a client key sees only the threads it started.",
  request: { params: threadPath, query: waitQuery },
  responses: {
    200: { description: "The thread", content: json(threadResponse) },
    ...errors.byId,
  },
});

const feedbackRoute = createRoute({
  method: "post",
  path: "/{threadId}/feedback",
  tags: ["threads"],
  summary: "Feedback on a finished answer (rating, reasons, correction)",
  description: "Any role; a client key only on the threads it started.",
  request: { params: threadPath, headers: idempotencyHeaders, body: jsonRequestBody(feedbackBody) },
  responses: {
    201: { description: "Stored", content: json(feedbackResponse) },
    200: {
      description: "Same Idempotency-Key as earlier feedback",
      content: json(feedbackResponse),
    },
    ...errors.body,
    404: errors.byId[404],
  },
});

export function threadRoutes() {
  return routeGroup()
    .openapi(startThreadRoute, async (c) => {
      const { wait } = c.req.valid("query");
      const body = c.req.valid("json");
      const deps = c.var.services.threads;
      const { thread, created } = await startThread(
        deps,
        {
          question: body.question,
          metadata: body.metadata,
          idempotencyKey: c.req.valid("header")["idempotency-key"],
          caller: { id: c.var.principal.id, name: c.var.principal.name },
        },
        wait,
      );
      // 202: accepted and running in the background; a repeated Idempotency-Key answers 200.
      return created ? c.json(thread, 202) : c.json(thread, 200);
    })
    .openapi(getThreadRoute, async (c) => {
      const { threadId } = c.req.valid("param");
      const { wait } = c.req.valid("query");
      const deps = c.var.services.threads;
      await assertCanRead(c, threadId);
      return c.json(
        wait ? await waitForThread(deps, threadId, wait) : await getThread(c.var.db, threadId),
        200,
      );
    })
    .openapi(feedbackRoute, async (c) => {
      const { threadId } = c.req.valid("param");
      await assertCanRead(c, threadId);
      const { created, ...rest } = await recordUserFeedback(
        c.var.db,
        threadId,
        c.req.valid("json"),
        { id: c.var.principal.id, name: c.var.principal.name },
        c.req.valid("header")["idempotency-key"],
      );
      return created ? c.json(rest, 201) : c.json(rest, 200);
    });
}
